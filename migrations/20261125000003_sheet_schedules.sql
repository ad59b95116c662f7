-- Scheduled sheet pulls. pg_cron calls the `sheets-pull` function on one tick (every minute);
-- each sheet source's own `schedule` decides which ticks pull it, so changing a schedule or
-- disabling a source takes effect at the next tick without touching the cron job.
--
-- On Supabase the call goes through pg_net (`net.http_post`) with the project URL and CRON_SECRET
-- read from Vault. Where pg_net is absent (a local Postgres with pg_cron) it goes through curl,
-- with the URL and secret read from customer_sync_settings. Where pg_cron is absent (PGlite, a
-- plain server, or a database other than cron.database_name) the functions are still created and
-- scheduling is left to the operator; nothing here fails for want of an extension.
--
-- No secret is written here: operators store them (README, "Scheduling sheet pulls").

do $$
begin
  -- pg_cron lives in one database per server (cron.database_name: 'postgres' here and on Supabase)
  -- and only loads from shared_preload_libraries.
  if not exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    raise notice 'pg_cron is not available on this server: sheet pulls are not scheduled here';
  elsif current_setting('cron.database_name', true) is null then
    raise notice 'pg_cron is not in shared_preload_libraries: sheet pulls are not scheduled here';
  elsif current_setting('cron.database_name', true) <> current_database() then
    raise notice 'pg_cron runs in database %, not %: schedule the pulls from there (README)',
      current_setting('cron.database_name', true), current_database();
  else
    begin
      create extension if not exists pg_cron;
    exception when others then
      raise notice 'could not create pg_cron (%): sheet pulls are not scheduled here', sqlerrm;
    end;
  end if;

  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    begin
      create extension if not exists pg_net;
    exception when others then
      raise notice 'could not create pg_net (%): scheduled calls will use curl', sqlerrm;
    end;
  end if;
end
$$;

-- Where Vault is absent: the project URL and the cron secret, readable by the database owner only.
create table customer_sync_settings (
  name text primary key check (name in ('project_url', 'cron_secret')),
  value text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create trigger customer_sync_settings_updated_at before update on customer_sync_settings
  for each row execute function set_updated_at();
alter table customer_sync_settings enable row level security;
revoke all on table customer_sync_settings from public, anon, authenticated;

-- A setting: Vault's secret of that name when Vault holds one, else the settings table's row.
create or replace function customer_sync_setting(setting text) returns text
language plpgsql stable
set search_path = public, pg_temp
as $$
declare
  found text;
begin
  if to_regclass('vault.decrypted_secrets') is not null then
    execute 'select decrypted_secret from vault.decrypted_secrets where name = $1 order by created_at desc limit 1'
      into found using setting;
    if found is not null then
      return found;
    end if;
  end if;
  select s.value into found from customer_sync_settings s where s.name = setting;
  return found;
end
$$;

-- POSTs `body` to the edge function `function_name` with the cron bearer secret. Returns pg_net's
-- request id (the call is made after the transaction commits); with curl it waits for the answer
-- and returns null, and a non-2xx answer fails the statement (and so the cron run).
create or replace function customer_sync_invoke(function_name text, body jsonb default '{}')
returns bigint
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  base text := rtrim(customer_sync_setting('project_url'), '/');
  secret text := customer_sync_setting('cron_secret');
  url text;
  request_id bigint;
  command text;
begin
  if function_name !~ '^[a-z0-9][a-z0-9_-]*$' then
    raise exception 'customer_sync_invoke: % is not a function name', function_name;
  end if;
  if base is null or secret is null then
    raise exception 'customer_sync_invoke: set the project_url and cron_secret secrets (Vault on Supabase, '
      'customer_sync_settings locally) before scheduled calls can reach %', function_name;
  end if;
  url := base || '/functions/v1/' || function_name;

  if exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where n.nspname = 'net' and p.proname = 'http_post') then
    -- pg_net's default timeout is 2 s; a pull slice answers within its budget plus the download.
    execute 'select net.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := 30000)'
      into request_id
      using url, body,
            jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || secret);
    return request_id;
  end if;

  -- Local development only: curl through COPY TO PROGRAM, which needs a superuser (or
  -- pg_execute_server_program). The secret reaches curl on its standard input, never in the command
  -- text, so a failing call's error message (stored by pg_cron) does not reveal it.
  if not exists (select 1 from pg_roles where rolname = current_user and rolsuper)
     and not pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') then
    raise exception 'customer_sync_invoke: pg_net is not installed and % may not run curl '
      '(COPY TO PROGRAM needs a superuser or pg_execute_server_program)', current_user;
  end if;
  if secret ~ '[\\\n\r\t]' then
    raise exception 'customer_sync_invoke: the cron_secret must not hold backslashes, tabs or newlines';
  end if;
  command := 'IFS= read -r secret; exec curl --silent --show-error --fail --max-time 120 --output /dev/null'
    || ' --request POST --header ''Content-Type: application/json'''
    || ' --header "Authorization: Bearer $secret"'
    || ' --data-binary ' || customer_sync_shell_quote(body::text)
    || ' ' || customer_sync_shell_quote(url);
  -- The query reads the secret itself, so the statement text (shown in error contexts) never holds it.
  execute format('copy (select public.customer_sync_setting(%L)) to program %L', 'cron_secret', command);
  return null;
end
$$;

-- A string as one POSIX shell word.
create or replace function customer_sync_shell_quote(word text) returns text
language sql immutable
as $$ select '''' || replace(word, '''', '''\''''') || '''' $$;

-- The command the cron job runs; scheduling from another database (cron.schedule_in_database)
-- should use this text too.
create or replace function customer_sync_sheets_pull_command() returns text
language sql immutable
as $$ select $cmd$select public.customer_sync_invoke('sheets-pull', '{}'::jsonb)$cmd$ $$;

-- (Re)schedules the sheet-pull tick in this database; returns the job id. Calling it again with
-- another expression changes the tick (cron.schedule replaces a job of the same name).
create or replace function customer_sync_schedule_sheets(schedule text default '* * * * *') returns bigint
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  job bigint;
begin
  if to_regnamespace('cron') is null then
    raise exception 'pg_cron is not installed in database % (it runs in %): use cron.schedule_in_database '
      'from there with the command customer_sync_sheets_pull_command() returns',
      current_database(), coalesce(current_setting('cron.database_name', true), 'no database');
  end if;
  execute 'select cron.schedule($1, $2, $3)' into job
    using 'customer-sync-sheets-pull', schedule, customer_sync_sheets_pull_command();
  return job;
end
$$;

-- Stops the tick; true when there was one.
create or replace function customer_sync_unschedule_sheets() returns boolean
language plpgsql volatile
set search_path = public, pg_temp
as $$
declare
  done boolean := false;
begin
  -- cron.job is named only in dynamic SQL: this function must compile where pg_cron is absent.
  if to_regnamespace('cron') is not null then
    execute 'select cron.unschedule(jobid) from cron.job where jobname = $1' into done
      using 'customer-sync-sheets-pull';
  end if;
  return coalesce(done, false);
end
$$;

-- Only the owner (and the cron jobs it owns) may make calls or change the schedule.
revoke execute on function customer_sync_setting(text), customer_sync_invoke(text, jsonb),
  customer_sync_shell_quote(text), customer_sync_sheets_pull_command(),
  customer_sync_schedule_sheets(text), customer_sync_unschedule_sheets()
  from public, anon, authenticated;

-- With pg_cron here, start the tick (once: an operator's own schedule is kept on re-runs).
do $$
declare
  scheduled boolean;
begin
  if to_regnamespace('cron') is null then
    return;
  end if;
  execute 'select exists (select 1 from cron.job where jobname = $1)' into scheduled
    using 'customer-sync-sheets-pull';
  if not scheduled then
    perform customer_sync_schedule_sheets('* * * * *');
    raise notice 'scheduled customer-sync-sheets-pull every minute; it calls sheets-pull once '
      'project_url and cron_secret are set';
  end if;
end
$$;
