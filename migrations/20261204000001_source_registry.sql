-- The sources, registered once in SQL as they are in TypeScript (shared/sources/registry.ts).
-- A new source's migration is one call to customer_sync_add_source(...): it creates the source's
-- table with the columns every source table shares, its indexes, trigger and row-level security,
-- registers it, and rebuilds the views so its revenue and names count everywhere.

create table customer_sync_sources (
  name text primary key check (name ~ '^[A-Z][A-Z0-9_]*$'),  -- sync_logs.source, webhook_events.source
  -- Registration order: the order of the sources' columns in `revenue_by_user`.
  position integer generated always as identity unique,
  table_name text not null unique,
  key_column text not null,
  scope_column text not null,
  raw_column text not null,
  -- Which source names a person first in `person_names` (1 is best).
  name_priority integer not null unique,
  -- The source's column in `revenue_by_user`; null for a source that carries no money (its rows
  -- then count in no revenue view: HighLevel, README "Revenue").
  revenue_column text unique check (revenue_column ~ '^[a-z][a-z0-9_]*_usd$'),
  -- Rows whose `parent_key` names another row of the table refund it (Whop's refund objects); a
  -- parent counts the larger of its own refunded amount and its children's, never both.
  child_refunds boolean not null default false,
  -- Which sources store a refund row without its sale (no amount, a refunded amount): the sales
  -- sheets. Elsewhere a line without an amount (a Whop payment whose totals are all null) stays
  -- without a USD gross and is listed in revenue_unconverted, as before.
  refund_rows boolean not null default false,
  created_at timestamptz not null default now()
);
alter table customer_sync_sources enable row level security;
revoke all on table customer_sync_sources from anon, authenticated;

insert into customer_sync_sources
  (name, table_name, key_column, scope_column, raw_column, name_priority, revenue_column, child_refunds,
   refund_rows)
values
  ('WHOP', 'whop_data', 'external_whop_id', 'kind', 'raw_data', 2, 'whop_usd', true, false),
  ('GHL', 'ghl_data', 'external_contact_id', 'location_id', 'raw_data', 1, null, false, false),
  ('SHEET', 'sheet_data', 'row_hash', 'source_url', 'data', 3, 'sheet_usd', false, true),
  ('ELECTIVE', 'elective_data', 'row_hash', 'source_url', 'data', 4, 'elective_usd', false, false);

-- Runs and sheet sources name a registered source instead of a fixed list.
alter table sync_logs drop constraint sync_logs_source_check;
alter table sync_logs add constraint sync_logs_source_fkey
  foreign key (source) references customer_sync_sources (name);
alter table sheet_sources drop constraint sheet_sources_kind_check;
alter table sheet_sources add constraint sheet_sources_kind_fkey
  foreign key (kind) references customer_sync_sources (name);
create index sheet_sources_kind_idx on sheet_sources (kind);

-- Every source table gains:
-- - source_rank: where the version stands in its object's lifecycle (a paid payment after an open
--   one), written by the source's mapper; it breaks ties between versions of the same change time;
-- - source_seen_at: when this version first reached us (a delivery's received_at, or the run that
--   read it); it breaks ties the lifecycle leaves open, so a replay never beats what came later;
-- - contested_amount: money the source says may be taken back but has not been (an open dispute),
--   listed in revenue_problems and never subtracted.
-- The engine writes a version when (source_updated_at, source_rank, source_seen_at) is not older
-- than the stored row's (README, "How records converge").

do $$
declare
  s record;
begin
  for s in select table_name from customer_sync_sources loop
    execute format('alter table %I add column source_rank integer not null default 0,
                      add column source_seen_at timestamptz not null default ''-infinity'',
                      add column contested_amount numeric not null default 0', s.table_name);
  end loop;
end
$$;

-- One definition of a source table, with every column the engine writes. `keyed_by_scope`: the key
-- is unique within its scope (a sheet's row hash within its URL) rather than alone (Whop's object id).
create function customer_sync_create_source_table(
  p_table text, p_key text, p_scope text, p_raw text, p_keyed_by_scope boolean
) returns void
language plpgsql as $$
begin
  execute format($f$
    create table %1$I (
      id uuid primary key default gen_random_uuid(),
      user_id uuid references users (id),
      %2$I text not null,
      %3$I text not null,
      parent_key text,
      email text,
      name text,
      %4$I jsonb not null,
      amount numeric,
      currency text,
      amount_usd numeric,
      refunded_amount numeric not null default 0,
      contested_amount numeric not null default 0,
      is_revenue boolean not null default false,
      date timestamptz,
      source_updated_at timestamptz not null,
      source_rank integer not null default 0,
      source_seen_at timestamptz not null default '-infinity',
      content_hash text,
      last_synced timestamptz not null default now(),
      deleted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      %5$s
    )$f$, p_table, p_key, p_scope, p_raw,
    case when p_keyed_by_scope then format('unique (%I, %I)', p_scope, p_key) else format('unique (%I)', p_key) end);
  execute format('create index %I on %I (user_id)', p_table || '_user_id_idx', p_table);
  execute format('create index %I on %I (parent_key) where parent_key is not null',
                 p_table || '_parent_key_idx', p_table);
  execute format('create index %I on %I (%I) where deleted_at is null', p_table || '_scope_live_idx', p_table, p_scope);
  execute format('create trigger %I before update on %I for each row execute function set_updated_at()',
                 p_table || '_updated_at', p_table);
  execute format('alter table %I enable row level security', p_table);
  execute format('revoke all on table %I from anon, authenticated', p_table);
end
$$;

-- Rebuilds the views over every registered source. Called by customer_sync_add_source; safe to call
-- again. The views keep their names and columns (interfaces.md 4): `revenue_by_user` has one
-- `<source>_usd` column per source with a revenue column, in registration order, then `total_usd`.
-- Beyond summing the lines:
-- - refunds and lost disputes are capped at the payment's amount; the excess is not counted and the
--   line says why in `problem`;
-- - a source without a revenue column has no revenue lines;
-- - revenue_problems lists those lines and every open dispute (contested money), per source.
create function customer_sync_build_views() returns void
language plpgsql as $$
declare
  s record;
  names text := '';
  lines text := '';
  contested text := '';
  columns text := '';
  filters text := '';
  sep text := '';
  line_sep text := '';
begin
  for s in select * from customer_sync_sources order by position loop
    names := names || sep || format(
      'select user_id, name, %s as priority, source_updated_at from %I
        where user_id is not null and name is not null and deleted_at is null',
      s.name_priority, s.table_name);
    contested := contested || sep || format(
      'select %L::text as source, %I as key, parent_key, user_id, ''open_dispute''::text as problem,
              format(''%%s %%s contested since %%s; not subtracted unless lost'', contested_amount,
                     coalesce(currency, ''USD''), to_char(coalesce(date, source_updated_at), ''YYYY-MM-DD'')) as detail,
              contested_amount as amount, currency
       from %I where contested_amount > 0 and deleted_at is null',
      s.name, s.key_column, s.table_name);
    sep := ' union all ';
    continue when s.revenue_column is null;
    if s.child_refunds then
      lines := lines || line_sep || format(
        'select %L::text as source, t.id, t.user_id, t.%I as key, t.date, t.source_updated_at,
                t.amount, t.currency, t.amount_usd,
                greatest(t.refunded_amount, coalesce(r.refunded, 0)) as refunded_stated,
                %L::boolean as refund_rows
         from %I t
         left join (select parent_key, sum(refunded_amount) as refunded from %I
                     where parent_key is not null and deleted_at is null group by parent_key) r
           on r.parent_key = t.%I
         where t.is_revenue and t.deleted_at is null',
        s.name, s.key_column, s.refund_rows, s.table_name, s.table_name, s.key_column);
    else
      lines := lines || line_sep || format(
        'select %L::text as source, id, user_id, %I as key, date, source_updated_at,
                amount, currency, amount_usd, refunded_amount as refunded_stated,
                %L::boolean as refund_rows
         from %I where is_revenue and deleted_at is null',
        s.name, s.key_column, s.refund_rows, s.table_name);
    end if;
    line_sep := ' union all ';
    columns := columns || format('coalesce(s.%1$I, 0)::numeric(20, 2) as %1$I, ', s.revenue_column);
    filters := filters || format(
      'sum(gross_usd - refunded_usd) filter (where source = %L) as %I, ', s.name, s.revenue_column);
  end loop;

  drop view if exists revenue_problems, revenue_unconverted, revenue_by_user, revenue_by_month, revenue_lines,
    person_names;

  execute 'create view person_names as ' || names;

  -- A row counts in USD when the source gave a USD figure or its currency is USD or unstated;
  -- anything else appears in revenue_unconverted, never silently in a USD total. Money taken back
  -- (refunds, lost disputes) counts up to the payment's amount, converted in the payment's ratio.
  execute format($v$
    create view revenue_lines with (security_invoker = true) as
    with lines as (%s)
    select source, id, user_id, key,
           (date_trunc('month', coalesce(date, source_updated_at) at time zone 'UTC'))::date as month,
           currency,
           gross_usd,
           case
             when gross_usd is null then null
             when amount_usd is null then refunded
             when amount is null or amount = 0 then 0
             else round(refunded * amount_usd / amount, 2)
           end as refunded_usd,
           amount, refunded,
           refunded_stated - refunded as refunded_excess,
           case when refunded < refunded_stated then
             format('refunds and lost disputes of %%s %%s exceed the payment''s %%s; %%s not counted',
                    refunded_stated, coalesce(currency, 'USD'), amount, refunded_stated - refunded)
           end as problem
    from (
      select l.*,
             case when l.amount is not null and l.refunded_stated > l.amount then greatest(l.amount, 0)
                  else l.refunded_stated end as refunded,
             case
               when l.amount_usd is not null then l.amount_usd
               when l.currency is not null and upper(l.currency) <> 'USD' then null
               -- A refund without its sale (a negative amount in a sales sheet): nothing sold, the
               -- refund counted whole in refunded_usd.
               when l.amount is null and l.refunded_stated > 0 and l.refund_rows then 0
               else l.amount
             end as gross_usd
      from lines l
    ) x$v$, lines);

  create view revenue_by_month with (security_invoker = true) as
  select month, source,
         sum(gross_usd)::numeric(20, 2) as gross_usd,
         sum(refunded_usd)::numeric(20, 2) as refunded_usd,
         (sum(gross_usd) - sum(refunded_usd))::numeric(20, 2) as net_usd
  from revenue_lines
  where gross_usd is not null
  group by month, source;

  execute format($v$
    create view revenue_by_user with (security_invoker = true) as
    select u.id as user_id, u.email, u.name,
           %s
           coalesce(s.total_usd, 0)::numeric(20, 2) as total_usd
    from users u
    left join (
      select user_id,
             %s
             sum(gross_usd - refunded_usd) as total_usd
      from revenue_lines
      where gross_usd is not null and user_id is not null
      group by user_id
    ) s on s.user_id = u.id$v$, columns, filters);

  create view revenue_unconverted with (security_invoker = true) as
  select month, source, upper(currency) as currency,
         sum(amount) as gross, sum(refunded) as refunded, count(*) as records
  from revenue_lines
  where gross_usd is null
  group by month, source, upper(currency);

  -- What the totals leave out or hold back, line by line: money taken back beyond a payment's
  -- amount, and open disputes.
  execute format($v$
    create view revenue_problems with (security_invoker = true) as
    select source, key, null::text as parent_key, user_id, 'refund_exceeds_payment'::text as problem,
           problem as detail, refunded_excess as amount, currency
    from revenue_lines where problem is not null
    union all %s$v$, contested);

  revoke all on person_names, revenue_lines, revenue_by_month, revenue_by_user, revenue_unconverted,
    revenue_problems from anon, authenticated;
  grant select on revenue_lines, revenue_by_month, revenue_by_user, revenue_unconverted, revenue_problems
    to service_role;
end
$$;

-- Registers a source and its table (created unless it exists), then rebuilds the views.
--   select customer_sync_add_source('STRIPE', 'stripe_data', 'external_stripe_id', 'kind', 'raw_data',
--                                   5, 'stripe_usd');
create function customer_sync_add_source(
  p_name text, p_table text, p_key text, p_scope text, p_raw text, p_name_priority integer,
  p_revenue_column text, p_keyed_by_scope boolean default false, p_child_refunds boolean default false
) returns void
language plpgsql as $$
begin
  if to_regclass(format('public.%I', p_table)) is null then
    perform customer_sync_create_source_table(p_table, p_key, p_scope, p_raw, p_keyed_by_scope);
  end if;
  insert into customer_sync_sources
    (name, table_name, key_column, scope_column, raw_column, name_priority, revenue_column, child_refunds)
  values (p_name, p_table, p_key, p_scope, p_raw, p_name_priority, p_revenue_column, p_child_refunds);
  perform customer_sync_build_views();
end
$$;

revoke all on function customer_sync_create_source_table(text, text, text, text, boolean),
  customer_sync_build_views(), customer_sync_add_source(text, text, text, text, text, integer, text, boolean, boolean)
  from public, anon, authenticated, service_role;

select customer_sync_build_views();
