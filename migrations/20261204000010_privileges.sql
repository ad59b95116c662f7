-- Privileges as hosted Supabase needs them. There, default privileges give every table, sequence and
-- function created in `public` to `anon`, `authenticated` and `service_role`; the earlier migrations
-- revoked from the first two on tables, views and most functions, but not on sequences
-- (webhook_events_id_seq stayed usable, and setval-able, by both), and left service_role with
-- whatever the server's defaults happened to give: everything on Supabase, nothing on plain Postgres.
--
-- After this migration, on either:
-- - anon and authenticated hold nothing on any table, view, sequence or function of ours;
-- - service_role (the API's admin key, which bypasses row-level security) may read every table and
--   view and insert and update rows; it deletes nothing (nothing here is hard-deleted), and it can
--   neither read customer_sync_settings nor run functions, since those hold or use the cron secret.
--   The README's schedule recipes run as the database owner (SQL editor, and cron jobs run as their
--   owner), so they need nothing granted;
-- - objects our later migrations create in `public` start out the same way (default privileges).

do $$
declare
  obj record;
  me oid := (select oid from pg_roles where rolname = current_user);
begin
  -- Ours: owned by the migrating role and not part of an extension.
  for obj in
    select c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) as name, c.relname
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relowner = me and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
  loop
    if obj.relkind = 'S' then
      execute format('revoke all on sequence %s from public, anon, authenticated, service_role', obj.name);
      execute format('grant usage, select on sequence %s to service_role', obj.name);
    else
      execute format('revoke all on table %s from public, anon, authenticated, service_role', obj.name);
      if obj.relkind in ('r', 'p') and obj.relname <> 'customer_sync_settings' then
        execute format('grant select, insert, update on table %s to service_role', obj.name);
      elsif obj.relkind in ('v', 'm', 'f') then
        execute format('grant select on table %s to service_role', obj.name);
      end if;
    end if;
  end loop;

  -- Trigger functions keep working: EXECUTE is checked when a trigger is created, not when it fires.
  for obj in
    select p.oid::regprocedure as name
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.proowner = me
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
  loop
    execute format('revoke all on routine %s from public, anon, authenticated, service_role', obj.name);
  end loop;
end
$$;

-- Later objects of ours in `public`. Postgres also grants EXECUTE on every new function to PUBLIC
-- (anon and authenticated included) by a global default that no per-schema default can take back, so
-- a migration that creates a function still revokes it from public itself; supabase/tests/access.sql
-- fails when one forgets.
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges in schema public grant select, insert, update on tables to service_role;
alter default privileges in schema public grant usage, select on sequences to service_role;
