-- Access from Supabase's API roles (pgTAP; `supabase test db` runs files here, and .ci/run runs them
-- with pg_prove against a database given hosted Supabase's default privileges, then migrated). The
-- anon and authenticated roles must hold nothing on any table, view, sequence or function of the
-- public schema, nor on what later migrations create there; row-level security must be on
-- everywhere. service_role gets what the README's recipes need and no way to the cron secret.
begin;
-- pgTAP lives in its own schema (as Supabase keeps extensions out of public), so its functions and
-- views are not counted below; the rollback at the end removes it again.
create schema if not exists tap;
create extension if not exists pgtap with schema tap;
set local search_path = public, tap;
-- The checks run as the API roles; only the test harness itself is theirs to use.
grant usage on schema tap to anon, authenticated, service_role;

select plan(24);

-- Something to find, so "no rows" means refused rather than empty.
insert into users (email, name) values ('access-check@example.com', 'Access Check');

select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity),
  0, 'row-level security is on for every table');

select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace,
          unnest(array['anon', 'authenticated']) as r(role),
          unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(priv)
    where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
      and has_table_privilege(r.role, c.oid, p.priv)),
  0, 'anon and authenticated hold no privilege on any table or view');

select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace,
          unnest(array['anon', 'authenticated']) as r(role),
          unnest(array['USAGE', 'SELECT', 'UPDATE']) as p(priv)
    where n.nspname = 'public' and c.relkind = 'S' and has_sequence_privilege(r.role, c.oid, p.priv)),
  0, 'anon and authenticated can use, read or set no sequence');

select cmp_ok(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'S'),
  '>=', 1, 'there is a sequence to check (webhook_events.id)');

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
          unnest(array['anon', 'authenticated']) as r(role)
    where n.nspname = 'public' and has_function_privilege(r.role, p.oid, 'EXECUTE')),
  0, 'anon and authenticated can execute no public function, trigger functions included');

select is(
  (select count(*)::int from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace,
          aclexplode(d.defaclacl) a
    where n.nspname = 'public' and d.defaclrole = current_user::regrole
      and a.grantee in ('anon'::regrole, 'authenticated'::regrole)),
  0, 'default privileges give anon and authenticated nothing our later migrations create in public');

-- What a later migration creates: a table with an identity sequence.
create table public.access_check_later (id bigint generated always as identity primary key, note text);
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated']) as r(role)
    where has_table_privilege(r.role, 'public.access_check_later', 'SELECT, INSERT, UPDATE, DELETE')
       or has_sequence_privilege(r.role, 'public.access_check_later_id_seq', 'USAGE, SELECT, UPDATE')),
  0, 'a table and sequence created later are not granted to anon or authenticated');
select ok(
  has_table_privilege('service_role', 'public.access_check_later', 'SELECT, INSERT, UPDATE')
    and not has_table_privilege('service_role', 'public.access_check_later', 'DELETE')
    and has_sequence_privilege('service_role', 'public.access_check_later_id_seq', 'USAGE'),
  'a table created later gives service_role select, insert and update, and its sequence usage');
drop table public.access_check_later;

set local role anon;
select throws_ok('select * from users', '42501', null, 'anon cannot read users');
select throws_ok($$insert into users (email) values ('anon@example.com')$$, '42501', null, 'anon cannot insert a user');
select throws_ok('select * from revenue_by_user', '42501', null, 'anon cannot read revenue_by_user');
select throws_ok('select * from webhook_events', '42501', null, 'anon cannot read webhook_events');
select throws_ok($$select setval('webhook_events_id_seq', 1)$$, '42501', null, 'anon cannot set webhook_events_id_seq');
select throws_ok($$select customer_sync_invoke('sheets-pull')$$, '42501', null, 'anon cannot invoke functions');
reset role;

set local role authenticated;
select throws_ok('select * from users', '42501', null, 'authenticated cannot read users');
select throws_ok($$update users set name = 'x'$$, '42501', null, 'authenticated cannot update users');
select throws_ok('select * from sync_logs', '42501', null, 'authenticated cannot read sync_logs');
select throws_ok('select * from revenue_by_month', '42501', null, 'authenticated cannot read revenue_by_month');
select throws_ok($$select nextval('webhook_events_id_seq')$$, '42501', null, 'authenticated cannot draw from webhook_events_id_seq');
reset role;

set local role service_role;
select lives_ok('select * from revenue_by_user', 'service_role can read revenue_by_user');
select lives_ok(
  $$insert into webhook_events (source, event_id, payload) values ('WHOP', 'access-check', '{}')$$,
  'service_role can insert into webhook_events (drawing its identity sequence)');
select lives_ok($$update users set name = 'Checked' where email = 'access-check@example.com'$$,
  'service_role can update users (the updated_at trigger still fires)');
select throws_ok('select * from customer_sync_settings', '42501', null, 'service_role cannot read customer_sync_settings');
select throws_ok($$select customer_sync_setting('cron_secret')$$, '42501', null, 'service_role cannot read the cron secret');
reset role;

select * from finish();
rollback;
