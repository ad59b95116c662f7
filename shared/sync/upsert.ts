/**
 * upsertChunk: the set-based write of one chunk of prepared records into a source table. One
 * statement resolves each record's person by email and upserts the rows; the `WHERE` on the
 * conflict branch is the ordering guard.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { PreparedRecord } from "./normalize.ts";
import type { SourceTable } from "./source-table.ts";

/** What one chunk did. */
export interface ChunkResult {
  created: number;
  updated: number;
  /** People whose rows changed, so their display name may need recomputing. */
  userIds: string[];
}

/**
 * Creates the people a batch names, in one statement. Emails are inserted in sorted order so two
 * batches racing on the same new addresses take their row locks in the same order and cannot
 * deadlock; `do nothing` lets the loser of a race reuse the winner's row.
 */
export async function ensureUsers(db: Kysely<Database>, rows: readonly PreparedRecord[]): Promise<void> {
  const firstName = new Map<string, string | null>();
  for (const r of rows) {
    if (r.email && !r.deleted && (!firstName.has(r.email) || (!firstName.get(r.email) && r.name))) {
      firstName.set(r.email, r.name);
    }
  }
  if (firstName.size === 0) return;
  const people = [...firstName].map(([email, name]) => ({ email, name }));
  const json = JSON.stringify(people);
  await sql`
    insert into users (email, name)
    select email, name from jsonb_to_recordset(${json}::text::jsonb) as p(email text, name text)
    order by email
    on conflict (email) do nothing`.execute(db);
}

/** The chunk as one JSON array, splicing in each raw object already serialised by `prepareRecord`. */
function chunkJson(rows: readonly PreparedRecord[]): string {
  const parts: string[] = [];
  for (const { raw, ...rest } of rows) {
    const head = JSON.stringify(rest);
    parts.push(`${head.slice(0, -1)},"raw":${raw}}`);
  }
  return `[${parts.join(",")}]`;
}

/**
 * The records of a chunk that may need writing: new ones, and newer-or-equal versions whose
 * fingerprint, deletion state, person or scope differ from the stored row. Only fingerprints
 * travel, so a re-sync of unchanged records sends a few dozen bytes per record and writes nothing.
 * (A fingerprint can differ for equal content, e.g. keys in another order; `upsertChunk` compares
 * the objects themselves and leaves such a row alone.)
 */
export async function changedRows(
  db: Kysely<Database>,
  table: SourceTable,
  rows: readonly PreparedRecord[],
  syncedAt: Date,
): Promise<PreparedRecord[]> {
  if (rows.length === 0) return [];
  const t = sql.table(table.table);
  const key = sql.ref(table.keyColumn);
  const scope = sql.ref(table.scopeColumn);
  const matches = table.keyedByScope
    ? sql`cur.${key} = x.key and cur.${scope} = x.scope`
    : sql`cur.${key} = x.key`;
  const probe = JSON.stringify(
    rows.map((r, i) => ({
      i,
      key: r.key,
      scope: r.scope,
      email: r.email,
      hash: r.hash,
      changedAt: r.changedAt,
      deleted: r.deleted,
    })),
  );
  const result = await sql<{ i: number }>`
    select x.i
    from jsonb_to_recordset(${probe}::text::jsonb) as x(
      i int, key text, scope text, email text, hash text, "changedAt" timestamptz, deleted boolean)
    left join users u on u.email = x.email
    left join ${t} as cur on ${matches}
    where cur.id is null
       or (x.email is not null and u.id is null)
       or (coalesce(x."changedAt", ${syncedAt}::timestamptz) >= cur.source_updated_at
           and (cur.content_hash is distinct from x.hash
                or (cur.deleted_at is null) = x.deleted
                or cur.user_id is distinct from u.id
                or cur.${scope} is distinct from x.scope))`.execute(db);
  return result.rows.map((r) => rows[r.i]);
}

/** Upserts one chunk; every record in it shares `table`. `syncedAt` stands in for unknown change times. */
export async function upsertChunk(
  db: Kysely<Database>,
  table: SourceTable,
  rows: readonly PreparedRecord[],
  syncedAt: Date,
): Promise<ChunkResult> {
  if (rows.length === 0) return { created: 0, updated: 0, userIds: [] };
  const t = sql.table(table.table);
  const key = sql.ref(table.keyColumn);
  const scope = sql.ref(table.scopeColumn);
  const raw = sql.ref(table.rawColumn);
  const conflict = table.keyedByScope ? sql`(${scope}, ${key})` : sql`(${key})`;
  const matches = table.keyedByScope
    ? sql`cur.${key} = x.key and cur.${scope} = x.scope`
    : sql`cur.${key} = x.key`;
  const result = await sql<{ inserted: boolean; user_id: string | null }>`
    -- jsonb_to_recordset parses the chunk once; json_to_recordset would re-parse every raw object.
    with input as (
      select x.*, u.id as user_id, coalesce(x."changedAt", ${syncedAt}::timestamptz) as changed_at
      from jsonb_to_recordset(${chunkJson(rows)}::text::jsonb) as x(
        key text, scope text, email text, name text, raw jsonb, hash text, "changedAt" timestamptz,
        amount numeric, currency text, "amountUsd" numeric, refunded numeric, revenue boolean,
        date timestamptz, "parentKey" text, deleted boolean)
      left join users u on u.email = x.email
      left join ${t} as cur on ${matches}
      -- Unchanged and older records leave here, before the insert: ON CONFLICT would lock (and
      -- so dirty) every existing row it meets, even one its WHERE then leaves alone.
      where cur.id is null
         or (coalesce(x."changedAt", ${syncedAt}::timestamptz) >= cur.source_updated_at
             -- jsonb equality, not the fingerprint: a reordered object is the same content.
             and (cur.${raw} is distinct from x.raw
                  or (cur.deleted_at is null) = x.deleted
                  or cur.user_id is distinct from u.id
                  or cur.${scope} is distinct from x.scope))
    )
    insert into ${t} as t (user_id, ${key}, ${scope}, parent_key, email, name, ${raw}, content_hash, amount,
                           currency, amount_usd, refunded_amount, is_revenue, date, source_updated_at, deleted_at)
    select user_id, key, scope, "parentKey", email, name, raw, hash, amount, currency,
           "amountUsd", refunded, revenue, date,
           changed_at, case when deleted then changed_at end
    from input
    on conflict ${conflict} do update set
      user_id = excluded.user_id,
      ${scope} = excluded.${scope},
      parent_key = excluded.parent_key,
      email = excluded.email,
      name = excluded.name,
      ${raw} = excluded.${raw},
      content_hash = excluded.content_hash,
      amount = excluded.amount,
      currency = excluded.currency,
      amount_usd = excluded.amount_usd,
      refunded_amount = excluded.refunded_amount,
      is_revenue = excluded.is_revenue,
      date = excluded.date,
      source_updated_at = excluded.source_updated_at,
      -- A tombstone keeps the first deletion time; a live version revives the row.
      deleted_at = case when excluded.deleted_at is null then null
                        else coalesce(t.deleted_at, excluded.deleted_at) end,
      last_synced = now()
    -- The ordering guard, again for rows a concurrent writer changed since the filter above read
    -- them. An older change never overwrites a newer one (ties go to the stored row unless the
    -- content differs), and a re-sync of the same content rewrites nothing.
    where excluded.source_updated_at >= t.source_updated_at
      and (t.${raw} is distinct from excluded.${raw}
           or (t.deleted_at is null) <> (excluded.deleted_at is null)
           or t.user_id is distinct from excluded.user_id
           or t.${scope} is distinct from excluded.${scope})
    returning (xmax = 0) as inserted, user_id`.execute(db);
  let created = 0;
  const userIds = new Set<string>();
  for (const row of result.rows) {
    if (row.inserted) created++;
    if (row.user_id) userIds.add(row.user_id);
  }
  return { created, updated: result.rows.length - created, userIds: [...userIds] };
}

/**
 * Gives each person the name of their best live source row (HighLevel, then Whop, then a sheet,
 * as the `person_names` view ranks them). Rows are locked in id order so concurrent runs agree on
 * the order; a person with no named live row keeps the name they had.
 */
export async function refreshNames(db: Kysely<Database>, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const ids = JSON.stringify(userIds);
  await sql`
    with best as (
      select distinct on (user_id) user_id, name
      from person_names
      -- One array, built once (an InitPlan), so each source table is read through its user_id
      -- index; an IN over a JSON set function is estimated at 100 rows and scans them all.
      where user_id = any (cast((select array_agg(value::uuid) from json_array_elements_text(${ids}::text::json)) as uuid[]))
      order by user_id, priority, source_updated_at desc
    ), target as (
      select u.id, b.name
      from users u join best b on b.user_id = u.id
      where u.name is distinct from b.name
      order by u.id
      for update of u
    )
    update users u set name = target.name from target where u.id = target.id`.execute(db);
}
