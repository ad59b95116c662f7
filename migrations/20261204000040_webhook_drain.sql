-- Webhook deliveries are stored and answered first, then processed after the answer, in batches
-- (shared/webhooks/drain.ts). A batch is claimed, not locked for its whole processing: the claim
-- names the backend that made it and lasts a lease, so a process that dies mid-batch frees its
-- claims at once (its backends end with it), and one behind a pooler (whose backends outlive it)
-- frees them when the lease runs out.
alter table webhook_events add column claimed_until timestamptz;
alter table webhook_events add column claimed_by integer;

-- Deliveries stored but never processed (an isolate recycled, a deploy, a crash) are drained by the
-- `webhook-drain` function; pg_cron calls it every minute, as it calls sheets-pull. The schedule
-- functions below take any function's name, so a scheduled function needs no SQL of its own; the
-- sheet tick's functions (20261125000003) become their special case.

-- The cron command that calls function `fn` with an empty body.
create function customer_sync_function_command(fn text) returns text
language sql immutable
as $$ select format('select public.customer_sync_invoke(%L, ''{}''::jsonb)', fn) $$;

-- (Re)schedules function `fn` in this database as job `customer-sync-<fn>`; returns the job id.
-- Calling it again with another expression changes the tick (cron.schedule replaces a job of the
-- same name).
create function customer_sync_schedule_function(fn text, schedule text default '* * * * *')
returns bigint
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  job bigint;
begin
  if to_regnamespace('cron') is null then
    raise exception 'pg_cron is not installed in database % (it runs in %): use cron.schedule_in_database '
      'from there with the command customer_sync_function_command(%L) returns',
      current_database(), coalesce(current_setting('cron.database_name', true), 'no database'), fn;
  end if;
  execute 'select cron.schedule($1, $2, $3)' into job
    using 'customer-sync-' || fn, schedule, customer_sync_function_command(fn);
  return job;
end
$$;

-- Stops function `fn`'s tick; true when there was one.
create function customer_sync_unschedule_function(fn text) returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  done boolean := false;
begin
  -- cron.job is named only in dynamic SQL: this function must compile where pg_cron is absent.
  if to_regnamespace('cron') is not null then
    execute 'select cron.unschedule(jobid) from cron.job where jobname = $1' into done
      using 'customer-sync-' || fn;
  end if;
  return coalesce(done, false);
end
$$;

-- The sheet tick's functions, kept by name for the operators and jobs that call them.
create or replace function customer_sync_sheets_pull_command() returns text
language sql immutable
as $$ select customer_sync_function_command('sheets-pull') $$;

create or replace function customer_sync_schedule_sheets(schedule text default '* * * * *') returns bigint
language sql volatile
set search_path = public, pg_temp
as $$ select customer_sync_schedule_function('sheets-pull', schedule) $$;

create or replace function customer_sync_unschedule_sheets() returns boolean
language sql volatile
set search_path = public, pg_temp
as $$ select customer_sync_unschedule_function('sheets-pull') $$;

revoke all on function customer_sync_function_command(text), customer_sync_schedule_function(text, text),
  customer_sync_unschedule_function(text), customer_sync_sheets_pull_command(), customer_sync_schedule_sheets(text),
  customer_sync_unschedule_sheets()
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
    perform customer_sync_schedule_function('webhook-drain');
    raise notice 'scheduled customer-sync-webhook-drain every minute; it calls webhook-drain once '
      'project_url and cron_secret are set';
  end if;
end
$$;
