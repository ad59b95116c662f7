-- customer_sync_invoke, replaced (same signature, so its privileges and the cron job's stored
-- command stay as they are):
-- - until the project_url and cron_secret secrets exist, a call does nothing but write one LOG line
--   to the server log, instead of failing: the every-minute job no longer fails every minute on a
--   new project before its Vault secrets are set;
-- - the local curl fallback hands curl the Authorization header on its standard input
--   (`--header @-`), so the secret is in no process's command line (/proc/<pid>/cmdline is readable
--   by every local user). The earlier version read it from stdin into a shell variable and then put
--   it back on curl's command line.

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
    -- LOG reaches the server log (Supabase: Logs, Postgres) without erroring the cron run.
    raise log 'customer_sync_invoke: % not called: % not set (Vault on Supabase, '
      'customer_sync_settings locally; README, "Schedules")', function_name,
      case when base is null and secret is null then 'the project_url and cron_secret secrets are'
           when base is null then 'the project_url secret is' else 'the cron_secret secret is' end;
    return null;
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
  -- pg_execute_server_program).
  if not exists (select 1 from pg_roles where rolname = current_user and rolsuper)
     and not pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') then
    raise exception 'customer_sync_invoke: pg_net is not installed and % may not run curl '
      '(COPY TO PROGRAM needs a superuser or pg_execute_server_program)', current_user;
  end if;
  -- COPY's text format escapes these, and a header line cannot hold them.
  if secret ~ '[\\\n\r\t]' then
    raise exception 'customer_sync_invoke: the cron_secret must not hold backslashes, tabs or newlines';
  end if;
  command := customer_sync_curl_command(url, body);
  -- COPY writes the query's one row, the header line, to curl's standard input. The query reads the
  -- secret itself, so neither the command nor the statement text (shown in error contexts and stored
  -- by pg_cron with a failed run) holds it.
  execute format('copy (select %L || public.customer_sync_setting(%L)) to program %L',
                 'Authorization: Bearer ', 'cron_secret', command);
  return null;
end
$$;

-- The shell command the curl fallback runs for one call: it reads the Authorization header from its
-- standard input and holds no secret (tests check that, and that the header arrives).
create or replace function customer_sync_curl_command(url text, body jsonb) returns text
language sql immutable
set search_path = public, pg_temp
as $$
  select 'exec curl --silent --show-error --fail --max-time 120 --output /dev/null --request POST'
    || ' --header ''Content-Type: application/json'' --header @-'
    || ' --data-binary ' || customer_sync_shell_quote(body::text)
    || ' ' || customer_sync_shell_quote(url)
$$;

revoke all on function customer_sync_curl_command(text, jsonb) from public, anon, authenticated, service_role;
