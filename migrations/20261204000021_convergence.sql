-- How versions of a record converge: the columns every source table carries for it
-- (source_rank, source_seen_at, contested_amount) and the view logic (capped refunds, open
-- disputes in revenue_problems) are part of the source registry (20261204000001_source_registry.sql).
-- The engine writes a version when (source_updated_at, source_rank, source_seen_at) is not older
-- than the stored row's (README, "How records converge").

-- A delivery named by its content (no provider id) says what it is about, so a later repeat of the
-- same body can be told from a retry (README, "Edge functions").
alter table webhook_events add column subject text;
create index webhook_events_subject_idx on webhook_events (source, subject, received_at desc)
  where subject is not null;
