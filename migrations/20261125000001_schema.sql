-- customer-sync schema: one person per email, one table per source, nothing hard-deleted.
-- Mirrors the planning document's Prisma schema in snake_case, with money as numeric, soft deletes
-- on every source table, row hashes unique per sheet, and row-level security on everything.


-- Plain Postgres has no Supabase roles; create them so grants and revokes below mean the same
-- thing here as on Supabase.
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

create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null unique check (email = lower(btrim(email)) and email <> ''),
  name text,
  username text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Every source table shares the columns the sync engine writes: the record's key and scope, the
-- email and name it carried, its money, the source's change time (the ordering guard) and the raw
-- object. `last_synced` is the last time a sync changed the row: an unchanged re-sync leaves it.
create table whop_data (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references users (id),
  external_whop_id text not null unique,
  kind text not null,                  -- payment | membership | refund (the engine's scope)
  parent_key text,                     -- a refund's payment id
  email text,
  name text,
  raw_data jsonb not null,
  amount numeric,
  currency text,
  amount_usd numeric,
  refunded_amount numeric not null default 0,
  is_revenue boolean not null default false,
  date timestamptz,
  source_updated_at timestamptz not null,
  last_synced timestamptz not null default now(),
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table ghl_data (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references users (id),
  external_contact_id text not null unique,
  location_id text not null,           -- the engine's scope
  parent_key text,
  email text,
  name text,
  raw_data jsonb not null,
  amount numeric,
  currency text,
  amount_usd numeric,
  refunded_amount numeric not null default 0,
  is_revenue boolean not null default false,
  date timestamptz,
  source_updated_at timestamptz not null,
  last_synced timestamptz not null default now(),
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table sheet_data (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references users (id),
  source_url text not null,            -- the engine's scope
  row_hash text not null,
  parent_key text,
  email text,
  name text,
  data jsonb not null,
  amount numeric,
  currency text,
  amount_usd numeric,
  refunded_amount numeric not null default 0,
  is_revenue boolean not null default false,
  date timestamptz,
  source_updated_at timestamptz not null,
  last_synced timestamptz not null default now(),
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (source_url, row_hash)
);

create table elective_data (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references users (id),
  source_url text not null,            -- the engine's scope
  row_hash text not null,
  parent_key text,
  email text,
  name text,
  data jsonb not null,
  amount numeric,
  currency text,
  amount_usd numeric,
  refunded_amount numeric not null default 0,
  is_revenue boolean not null default false,
  date timestamptz,
  source_updated_at timestamptz not null,
  last_synced timestamptz not null default now(),
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (source_url, row_hash)
);

create table sync_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references users (id),
  source text not null check (source in ('WHOP', 'GHL', 'SHEET', 'ELECTIVE')),
  scope text,
  status text not null check (status in ('RUNNING', 'SUCCESS', 'FAILED', 'PARTIAL')),
  records_processed integer not null default 0,
  created integer not null default 0,
  updated integer not null default 0,
  unchanged integer not null default 0,
  deleted integer not null default 0,
  failed integer not null default 0,
  errors jsonb not null default '[]',
  error_message text,
  pid integer,                         -- backend holding a single-shot run; gone means crashed
  lease_until timestamptz,             -- a run not heard from by then is taken as crashed
  started_at timestamptz not null default now(),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table webhook_events (
  id bigint generated always as identity primary key,
  source text not null,
  event_id text not null,
  event_type text,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'processed', 'failed', 'ignored')),
  attempts integer not null default 0,
  error text,
  processed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (source, event_id)
);

create table sheet_sources (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  kind text not null default 'SHEET' check (kind in ('SHEET', 'ELECTIVE')),
  url text not null,
  column_map jsonb not null default '{}',
  schedule text not null default '0 * * * *',
  enabled boolean not null default true,
  last_pulled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Resumable work (backfill cursors, sheet pull positions) keeps its place here, by name.
create table sync_checkpoints (
  name text primary key,
  state jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Keys seen by a full sync that spans several invocations, so the missing ones can be
-- soft-deleted once the whole set has been read.
create table sync_run_keys (
  sync_log_id uuid not null references sync_logs (id) on delete cascade,
  key text not null,
  primary key (sync_log_id, key)
);

create index whop_data_user_id_idx on whop_data (user_id);
create index ghl_data_user_id_idx on ghl_data (user_id);
create index sheet_data_user_id_idx on sheet_data (user_id);
create index elective_data_user_id_idx on elective_data (user_id);
create index sync_logs_user_id_idx on sync_logs (user_id);
create index whop_data_parent_key_idx on whop_data (parent_key) where parent_key is not null;
create index whop_data_kind_live_idx on whop_data (kind) where deleted_at is null;
create index ghl_data_location_live_idx on ghl_data (location_id) where deleted_at is null;
create index sync_logs_source_status_idx on sync_logs (source, status, started_at desc);
-- Who a person is called: the live source rows that carry a name, best source first.
create view person_names as
select user_id, name, 1 as priority, source_updated_at from ghl_data
 where user_id is not null and name is not null and deleted_at is null
union all
select user_id, name, 2, source_updated_at from whop_data
 where user_id is not null and name is not null and deleted_at is null
union all
select user_id, name, 3, source_updated_at from sheet_data
 where user_id is not null and name is not null and deleted_at is null
union all
select user_id, name, 4, source_updated_at from elective_data
 where user_id is not null and name is not null and deleted_at is null;

revoke all on person_names from anon, authenticated;

create index webhook_events_open_idx on webhook_events (source, received_at) where status in ('pending', 'failed');

do $$
declare
  t text;
begin
  foreach t in array array['users', 'whop_data', 'ghl_data', 'sheet_data', 'elective_data', 'sync_logs',
                           'webhook_events', 'sheet_sources', 'sync_checkpoints']
  loop
    execute format('create trigger %I before update on %I for each row execute function set_updated_at()',
                   t || '_updated_at', t);
  end loop;
  foreach t in array array['users', 'whop_data', 'ghl_data', 'sheet_data', 'elective_data', 'sync_logs',
                           'webhook_events', 'sheet_sources', 'sync_checkpoints', 'sync_run_keys']
  loop
    execute format('alter table %I enable row level security', t);
    execute format('revoke all on table %I from anon, authenticated', t);
  end loop;
end
$$;
