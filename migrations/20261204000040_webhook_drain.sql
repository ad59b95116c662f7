-- Webhook deliveries are stored and answered first, then processed after the answer, in batches
-- (shared/webhooks/drain.ts). A batch is claimed, not locked for its whole processing: the claim
-- names the backend that made it and lasts a lease, so a process that dies mid-batch frees its
-- claims at once (its backends end with it), and one behind a pooler (whose backends outlive it)
-- frees them when the lease runs out.
alter table webhook_events add column claimed_until timestamptz;
alter table webhook_events add column claimed_by integer;

-- Deliveries stored but never processed (an isolate recycled, a deploy, a crash) are drained by the
-- `webhook-drain` function; pg_cron calls it every minute, as it calls sheets-pull.
create or replace function customer_sync_webhook_drain_command() returns text
language sql immutable
as $$ select $cmd$select public.customer_sync_invoke('webhook-drain', '{}'::jsonb)$cmd$ $$;

-- (Re)schedules the drain in this database; returns the job id.
create or replace function customer_sync_schedule_webhook_drain(schedule text default '* * * * *')
returns bigint
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  job bigint;
begin
  if to_regnamespace('cron') is null then
    raise exception 'pg_cron is not installed in database % (it runs in %): use cron.schedule_in_database '
      'from there with the command customer_sync_webhook_drain_command() returns',
      current_database(), coalesce(current_setting('cron.database_name', true), 'no database');
  end if;
  execute 'select cron.schedule($1, $2, $3)' into job
    using 'customer-sync-webhook-drain', schedule, customer_sync_webhook_drain_command();
  return job;
end
$$;

-- Stops the drain's tick; true when there was one.
create or replace function customer_sync_unschedule_webhook_drain() returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  done boolean := false;
begin
  if to_regnamespace('cron') is not null then
    execute 'select cron.unschedule(jobid) from cron.job where jobname = $1' into done
      using 'customer-sync-webhook-drain';
  end if;
  return coalesce(done, false);
end
$$;

revoke all on function customer_sync_webhook_drain_command(), customer_sync_schedule_webhook_drain(text),
  customer_sync_unschedule_webhook_drain()
  from public, anon, authenticated, service_role;

-- With pg_cron here, start the tick (once: an operator's own schedule is kept on re-runs).
do $$
declare
  scheduled boolean;
begin
  if to_regnamespace('cron') is null then
    return;
  end if;
  execute 'select exists (select 1 from cron.job where jobname = $1)' into scheduled
    using 'customer-sync-webhook-drain';
  if not scheduled then
    perform customer_sync_schedule_webhook_drain('* * * * *');
    raise notice 'scheduled customer-sync-webhook-drain every minute; it calls webhook-drain once '
      'project_url and cron_secret are set';
  end if;
end
$$;
