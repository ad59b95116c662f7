/**
 * recordUnmapped: what a backfill does with objects the mapper refused, so a bad object neither
 * disappears silently nor gets its row soft-deleted.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../../db/types.ts";
import type { RecordError } from "../../sync/normalize.ts";
import { LOGGED_ERRORS } from "../../sync/sync-log.ts";

/**
 * Counts the refused objects as failed in the run's log (the reason of each, up to the log's limit)
 * and, in a full run, marks their ids as seen: Whop still returns them, so the soft delete must
 * not remove the rows they had. (SyncRun.write knows only mapped records; should another source
 * need the same, this belongs in SyncRun.)
 */
export async function recordUnmapped(
  db: Kysely<Database>,
  runId: string,
  full: boolean,
  unmapped: readonly RecordError[],
): Promise<void> {
  if (unmapped.length === 0) return;
  const keys = unmapped.flatMap((u) => (u.key ? [u.key] : []));
  if (full && keys.length > 0) {
    await sql`
      insert into sync_run_keys (sync_log_id, key)
      select ${runId}::uuid, value from json_array_elements_text(${JSON.stringify(keys)}::text::json)
      on conflict do nothing`.execute(db);
  }
  await sql`
    update sync_logs set
      failed = failed + ${unmapped.length},
      records_processed = records_processed + ${unmapped.length},
      errors = (select coalesce(jsonb_agg(e), '[]') from (
                 select e from jsonb_array_elements(errors || ${JSON.stringify(unmapped)}::text::jsonb) e
                 limit ${LOGGED_ERRORS}) x)
    where id = ${runId}`.execute(db);
}
