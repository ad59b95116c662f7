/**
 * upsertChunk: the set-based write of one chunk of prepared records into a source table, each
 * record carrying its person's id (`resolvePeople`, in `people.ts`); the `WHERE` on the conflict
 * branch is the ordering guard.
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { PreparedRecord } from "./normalize.ts";
import type { SourceTable } from "./source-table.ts";
import { contentHash } from "../crypto/content-hash.ts";

/** What one chunk did. */
export interface ChunkResult {
  created: number;
  updated: number;
  /** People whose rows changed or moved away, so their display name may need recomputing. */
  userIds: string[];
}

/**
 * The fields of a prepared record the statements read, with their SQL types; `epoch_ms` is a time
 * value (milliseconds since 1970), which the database turns into a timestamptz.
 */
const FIELDS = {
  key: "text",
  scope: "text",
  email: "text",
  /** The person's id, from `resolvePeople`. */
  userId: "uuid",
  name: "text",
  /** `contentHash(raw)`, computed as the list is built. */
  hash: "text",
  changedAt: "epoch_ms",
  rank: "int",
  /** When the version first reached us, when it differs per record (else the batch's `seenAt`). */
  seenAt: "epoch_ms",
  amount: "numeric",
  currency: "text",
  amountUsd: "numeric",
  refunded: "numeric",
  contested: "numeric",
  revenue: "boolean",
  date: "epoch_ms",
  parentKey: "text",
  deleted: "boolean",
} as const;
type Field = keyof typeof FIELDS;
const ALL_FIELDS = Object.keys(FIELDS) as Field[];

function fieldValue(row: PreparedRecord, field: Field): string | number | boolean | null {
  if (field === "hash") return row.hash ??= contentHash(row.raw);
  return row[field] ?? null;
}

/**
 * Records as a table `x` of the given fields (and `raw`, as jsonb, when asked), plus `i`, each
 * record's position in `rows`. Each field travels as one JSON array and the raw objects, already
 * serialised by `prepareRecord`, joined by newlines: serialised JSON never holds a literal newline,
 * so the database splits them without unescaping anything and parses each once, straight into
 * jsonb. ROWS FROM zips the lists back into records. (Measured for 2,000 Whop payments: one JSON
 * document with the raw objects inside cost the database 95 ms, a record set of the small fields
 * 23 ms; the raw objects this way take 40 ms and the fields 16 ms.)
 */
function recordsFrom(rows: readonly PreparedRecord[], fields: readonly Field[], withRaw: boolean) {
  const lists = fields.map((f) =>
    sql`json_array_elements_text(${JSON.stringify(rows.map((r) => fieldValue(r, f)))}::text::json)`
  );
  const names = fields.map((f) => sql.ref(f));
  const typed = fields.map((f) => {
    const value = sql.ref(`f.${f}`);
    // Whole seconds, then the milliseconds as an interval: exact for every date Postgres takes
    // (dividing by 1000 in floating point is off by a microsecond for dates far from 1970).
    const cast = FIELDS[f] === "epoch_ms"
      ? sql`to_timestamp(${value}::bigint / 1000) + (${value}::bigint % 1000) * interval '1 millisecond'`
      : sql`${value}::${sql.raw(FIELDS[f])}`;
    return sql`${cast} as ${sql.ref(f)}`;
  });
  if (withRaw) {
    lists.push(sql`unnest(string_to_array(${rows.map((r) => r.raw).join("\n")}::text, E'\\n'))`);
    names.push(sql`raw_text`);
    typed.push(sql`f.raw_text::jsonb as raw`);
  }
  return sql`(
    select ${sql.join(typed)}, f.i::int as i
    from rows from (${sql.join(lists)}) with ordinality as f(${sql.join(names)}, i)
  ) as x`;
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
  seenAt: Date,
): Promise<PreparedRecord[]> {
  if (rows.length === 0) return [];
  const fields = ["key", "scope", "email", "hash", "changedAt", "rank", "seenAt", "deleted"] as const;
  const probe = recordsFrom(rows, fields, false);
  const result = await sql<{ i: number }>`
    select x.i
    from ${probe}
    ${personOf}
    ${storedRow(table)}
    where cur.id is null
       or (x.email is not null and u.id is null)
       or (${notOlder(seenAt)}
           and (cur.content_hash is distinct from x.hash
                or (cur.deleted_at is null) = x.deleted
                or (x.email is not null and cur.user_id is distinct from u.id)
                or cur.scope is distinct from x.scope))`.execute(db);
  // ordinality counts from 1
  return result.rows.map((r) => rows[r.i - 1]);
}

/**
 * The ordering guard of a record `x` against its stored row `cur`: not older when its (change time,
 * lifecycle rank, first seen) is at least the row's; an unknown change time is the time first seen.
 */
function notOlder(seenAt: Date) {
  return sql`(coalesce(x."changedAt", ${seen(seenAt)}), x.rank, ${seen(seenAt)})
             >= (cur.source_updated_at, cur.source_rank, cur.source_seen_at)`;
}

/** When record `x` first reached us: its own time when it has one, else the batch's `seenAt`. */
function seen(seenAt: Date) {
  return sql`coalesce(x."seenAt", ${seenAt}::timestamptz)`;
}

/**
 * Each record's person, by one index probe per record. (A plain join lets the planner hash the
 * whole users table for every chunk, which it does while the table's statistics are stale.)
 */
const personOf = sql`left join lateral (select id from users where email = x.email limit 1) as u on true`;

/**
 * The stored row of each record, by one index probe per record, as `cur` (id, scope, raw,
 * content_hash, user_id, source_updated_at, source_rank, source_seen_at, deleted_at). `limit 1` keeps the planner from turning
 * the probe into a hash of the whole table, whose cost would grow with every chunk written.
 */
function storedRow(table: SourceTable) {
  const key = sql.ref(`s.${table.keyColumn}`);
  const scope = sql.ref(`s.${table.scopeColumn}`);
  const match = table.keyedByScope ? sql`${key} = x.key and ${scope} = x.scope` : sql`${key} = x.key`;
  return sql`left join lateral (
      select s.id, ${scope} as scope, ${sql.ref(`s.${table.rawColumn}`)} as raw, s.content_hash, s.user_id,
             s.source_updated_at, s.source_rank, s.source_seen_at, s.deleted_at
      from ${sql.table(table.table)} as s where ${match} limit 1) as cur on true`;
}

/**
 * The conflict branch of the upsert. Its `WHERE` is the ordering guard, again for rows a concurrent
 * writer changed since the statement's filter read them: an older version never overwrites a newer
 * one (see `notOlder`; a full tie goes to the incoming version only when its content differs), and
 * a re-sync of the same content rewrites nothing. A version without an email keeps the row's person
 * (Whop withholds emails without a permission): only a different email moves a record.
 */
function upsertClause(table: SourceTable) {
  const key = sql.ref(table.keyColumn);
  const scope = sql.ref(table.scopeColumn);
  const raw = sql.ref(table.rawColumn);
  const conflict = table.keyedByScope ? sql`(${scope}, ${key})` : sql`(${key})`;
  return sql`
    on conflict ${conflict} do update set
      user_id = case when excluded.email is null then t.user_id else excluded.user_id end,
      ${scope} = excluded.${scope},
      parent_key = excluded.parent_key,
      email = coalesce(excluded.email, t.email),
      name = excluded.name,
      ${raw} = excluded.${raw},
      content_hash = excluded.content_hash,
      amount = excluded.amount,
      currency = excluded.currency,
      amount_usd = excluded.amount_usd,
      refunded_amount = excluded.refunded_amount,
      contested_amount = excluded.contested_amount,
      is_revenue = excluded.is_revenue,
      date = excluded.date,
      source_updated_at = excluded.source_updated_at,
      source_rank = excluded.source_rank,
      source_seen_at = excluded.source_seen_at,
      -- A tombstone keeps the first deletion time; a live version revives the row.
      deleted_at = case when excluded.deleted_at is null then null
                        else coalesce(t.deleted_at, excluded.deleted_at) end,
      last_synced = now()
    where (excluded.source_updated_at, excluded.source_rank, excluded.source_seen_at)
          >= (t.source_updated_at, t.source_rank, t.source_seen_at)
      and (t.${raw} is distinct from excluded.${raw}
           or (t.deleted_at is null) <> (excluded.deleted_at is null)
           or (excluded.email is not null and t.user_id is distinct from excluded.user_id)
           or t.${scope} is distinct from excluded.${scope})`;
}

/**
 * Writes one chunk; every record in it shares `table` and carries its person's id in `userId`
 * (see `resolvePeople`). `seenAt` is when these versions first reached us: it stands in for unknown
 * change times and breaks the ties the lifecycle leaves open. `fresh` is for a table
 * that was empty when the run began, where every record is new: the rows are inserted plainly,
 * with no stored row to look up and no conflict branch, so a key that is there after all (a
 * concurrent writer's) fails the statement with a unique violation, and the caller upserts.
 */
export async function upsertChunk(
  db: Kysely<Database>,
  table: SourceTable,
  rows: readonly PreparedRecord[],
  seenAt: Date,
  options: { fresh?: boolean } = {},
): Promise<ChunkResult> {
  if (rows.length === 0) return { created: 0, updated: 0, userIds: [] };
  const t = sql.table(table.table);
  const key = sql.ref(table.keyColumn);
  const scope = sql.ref(table.scopeColumn);
  const raw = sql.ref(table.rawColumn);
  const insert = (input: RawBuilder<unknown>) =>
    sql`insert into ${t} as t (user_id, ${key}, ${scope}, parent_key, email, name, ${raw}, content_hash, amount,
                               currency, amount_usd, refunded_amount, contested_amount, is_revenue, date,
                               source_updated_at, source_rank, source_seen_at, deleted_at)
        select linked_user_id, key, scope, "parentKey", email, name, raw, hash, amount, currency,
               "amountUsd", refunded, contested, revenue, date, changed_at, rank,
               coalesce("seenAt", ${seenAt}::timestamptz),
               case when deleted then changed_at end
        from ${input}`;
  if (options.fresh) {
    // Every row is inserted or the statement fails, so the counts and people are known here.
    await insert(sql`(select x.*, coalesce(x."changedAt", ${seen(seenAt)}) as changed_at,
                             x."userId" as linked_user_id
                      from ${recordsFrom(rows, ALL_FIELDS, true)}) as input`).execute(db);
    const userIds = new Set<string>();
    for (const r of rows) if (r.userId) userIds.add(r.userId);
    return { created: rows.length, updated: 0, userIds: [...userIds] };
  }
  const result = await sql<{ created: number; written: number; users: string; moved: string }>`
    with input as (
      select x.*, coalesce(x."changedAt", ${seen(seenAt)}) as changed_at,
             cur.user_id as previous_user_id,
             -- A version without an email keeps the stored row's person.
             case when x.email is null then cur.user_id else x."userId" end as linked_user_id
      from ${recordsFrom(rows, ALL_FIELDS, true)}
      ${storedRow(table)}
      -- Unchanged and older records leave here, before the insert: ON CONFLICT would lock (and
      -- so dirty) every existing row it meets, even one its WHERE then leaves alone.
      where cur.id is null
         or (${notOlder(seenAt)}
             -- jsonb equality, not the fingerprint: a reordered object is the same content.
             and (cur.raw is distinct from x.raw
                  or (cur.deleted_at is null) = x.deleted
                  or (x.email is not null and cur.user_id is distinct from x."userId")
                  or cur.scope is distinct from x.scope))
    ), written as (
      ${insert(sql`input`)}
      ${upsertClause(table)}
      returning (xmax = 0) as inserted, user_id
    )
    -- Counts and lists of people, not a row per record: less to send, less to parse. A person a
    -- record moved away from (its email changed) may need another name too.
    select (count(*) filter (where inserted))::int as created, count(*)::int as written,
           coalesce(string_agg(distinct user_id::text, ','), '') as users,
           (select coalesce(string_agg(distinct previous_user_id::text, ','), '')
             from input where previous_user_id is distinct from linked_user_id) as moved
    from written`.execute(db);
  const { created, written, users, moved } = result.rows[0];
  const ids = [users, moved].filter((list) => list !== "").join(",");
  return {
    created,
    updated: written - created,
    userIds: ids === "" ? [] : [...new Set(ids.split(","))],
  };
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
      -- NO KEY: the foreign keys of rows being inserted hold KEY SHARE locks on these people.
      for no key update of u
    )
    update users u set name = target.name from target where u.id = target.id`.execute(db);
}
