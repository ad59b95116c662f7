/**
 * DeleteOutcome: what a full sync's soft delete did. Rows of a scope that a complete full set did
 * not contain get `deleted_at = now()`, unless that would remove more than the safety valve allows:
 * an emptied sheet or a half-read API must not wipe a customer list.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { SourceTable } from "./source-table.ts";
import { refreshNames } from "./upsert.ts";

export interface DeleteOutcome {
  deleted: number;
  refused?: { wouldDelete: number; live: number; maxShare: number };
}

/** Where the keys of the full set are: in memory, or recorded in `sync_run_keys` by a sliced run. */
export type SeenKeys = { keys: readonly string[] } | { syncLogId: string };

/** Soft-deletes the live rows of `scope` not in `seen`, within the safety valve. */
export async function softDeleteMissing(
  db: Kysely<Database>,
  table: SourceTable,
  scope: string,
  seen: SeenKeys,
  options: { force?: boolean; maxDeleteShare?: number } = {},
): Promise<DeleteOutcome> {
  const t = sql.table(table.table);
  const key = sql.ref(`t.${table.keyColumn}`);
  const scopeCol = sql.ref(`t.${table.scopeColumn}`);
  // `not in` over a subquery becomes one hashed subplan; a correlated `not exists` inside the
  // count's filter rescanned the whole key list for every row (quadratic in the scope's size).
  // Keys are never null, so `not in` means what `not exists` would.
  const missing = "keys" in seen
    ? sql`${key} not in (select value from json_array_elements_text(${
      JSON.stringify(seen.keys)
    }::text::json))`
    : sql`${key} not in (select k.key from sync_run_keys k where k.sync_log_id = ${seen.syncLogId})`;
  const counts = await sql<{ live: number; missing: number }>`
    select count(*)::int as live, (count(*) filter (where ${missing}))::int as missing
    from ${t} as t where ${scopeCol} = ${scope} and t.deleted_at is null`.execute(db);
  const { live, missing: wouldDelete } = counts.rows[0];
  if (wouldDelete === 0) return { deleted: 0 };
  const maxShare = options.maxDeleteShare ?? 0.5;
  if (!options.force && wouldDelete > live * maxShare) {
    return { deleted: 0, refused: { wouldDelete, live, maxShare } };
  }
  const result = await sql<{ user_id: string | null }>`
    update ${t} as t set deleted_at = now(), last_synced = now()
    where ${scopeCol} = ${scope} and t.deleted_at is null and ${missing}
    returning t.user_id`.execute(db);
  // The name follows: a person whose best-named row is gone takes the next source's name.
  await refreshNames(db, [...new Set(result.rows.flatMap((r) => (r.user_id ? [r.user_id] : [])))]);
  return { deleted: result.rows.length };
}
