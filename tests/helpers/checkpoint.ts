/**
 * The state a checkpoint holds in `sync_checkpoints`, as a test reads it: `null` when there is no
 * row, and without the fields of a claim still held.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../shared/db/types.ts";

export async function savedCheckpoint<T>(db: Kysely<Database>, name: string): Promise<T | null> {
  const row = await db.selectFrom("sync_checkpoints").select("state").where("name", "=", name)
    .executeTakeFirst();
  if (!row) return null;
  const { claimToken: _token, claimedUntil: _until, ...state } = row.state as Record<string, unknown>;
  return state as T;
}
