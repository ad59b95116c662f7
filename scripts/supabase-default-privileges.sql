-- What a hosted Supabase project's database holds before any migration of ours runs: the API roles,
-- and default privileges that give every table, sequence and function later created in `public` to
-- `anon`, `authenticated` and `service_role`. CI applies this to an empty database before
-- migrating, so the access checks (supabase/tests/access.sql, tests/db/security.test.ts) see what
-- hosted Supabase would, not a plain Postgres that grants nothing by default.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
