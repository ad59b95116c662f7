-- Access from Supabase's public roles (pgTAP; `supabase test db` runs files here, and .ci/run runs
-- them with pg_prove against a freshly migrated database). The anon and authenticated roles must
-- read no row, write no row and run no function that could, in any table, view or function of the
-- public schema; row-level security must be on everywhere.
begin;
-- pgTAP lives in its own schema (as Supabase keeps extensions out of public), so its functions and
-- views are not counted below; the rollback at the end removes it again.
create schema if not exists tap;
create extension if not exists pgtap with schema tap;
set local search_path = public, tap;
-- The checks run as the public roles; only the test harness itself is theirs to use.
grant usage on schema tap to anon, authenticated;

select plan(12);

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
          unnest(array['anon', 'authenticated']) as r(role)
    where n.nspname = 'public' and c.relkind = 'S' and has_sequence_privilege(r.role, c.oid, 'USAGE')),
  0, 'anon and authenticated can use no sequence');

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
          unnest(array['anon', 'authenticated']) as r(role)
    where n.nspname = 'public' and has_function_privilege(r.role, p.oid, 'EXECUTE')
      and (p.prosecdef or pg_get_function_result(p.oid) <> 'trigger')),
  0, 'anon and authenticated can execute no public function but trigger functions, and no security definer one');

set local role anon;
select throws_ok('select * from users', '42501', null, 'anon cannot read users');
select throws_ok($$insert into users (email) values ('anon@example.com')$$, '42501', null, 'anon cannot insert a user');
select throws_ok('select * from revenue_by_user', '42501', null, 'anon cannot read revenue_by_user');
select throws_ok('select * from webhook_events', '42501', null, 'anon cannot read webhook_events');
reset role;

set local role authenticated;
select throws_ok('select * from users', '42501', null, 'authenticated cannot read users');
select throws_ok($$update users set name = 'x'$$, '42501', null, 'authenticated cannot update users');
select throws_ok('select * from sync_logs', '42501', null, 'authenticated cannot read sync_logs');
select throws_ok('select * from revenue_by_month', '42501', null, 'authenticated cannot read revenue_by_month');
reset role;

select * from finish();
rollback;
