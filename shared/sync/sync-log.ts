/**
 * SyncLog: one `sync_logs` row per run. A run is RUNNING while it works and holds a lease; a run
 * whose process died (its backend is gone, or its lease ran out) is marked FAILED by the next run
 * of the same source, so a crash never leaves a run that looks alive forever.
 */
import { type Kysely, sql } from "kysely";
import type { Database, SyncStatus } from "../db/types.ts";
import type { SourceName } from "./record.ts";
import type { RecordError } from "./normalize.ts";

/** Counts a run reports; also the engine's return value. */
export interface SyncCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  errors: RecordError[];
}

/** Zero counts, with the errors found before writing (records that could not be prepared). */
export function startCounts(errors: RecordError[]): SyncCounts {
  return { created: 0, updated: 0, unchanged: 0, deleted: 0, failed: errors.length, errors };
}

/** How many record errors a log keeps; the rest are counted in `failed`. */
export const LOGGED_ERRORS = 20;

/** Marks RUNNING runs of `source` whose owner is gone as FAILED. Returns how many. */
export async function failAbandonedRuns(db: Kysely<Database>, source: SourceName): Promise<number> {
  const result = await sql`
    update sync_logs l
       set status = 'FAILED', completed_at = now(), pid = null, lease_until = null,
           error_message = coalesce(l.error_message || '; ', '') ||
                           'interrupted: the process running this sync stopped before it finished'
     where l.source = ${source} and l.status = 'RUNNING'
       and (l.lease_until < now()
            or (l.pid is not null and not exists (select 1 from pg_stat_activity a where a.pid = l.pid)))`
    .execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Opens a RUNNING log. `pid` ties it to the backend doing the work when the whole run happens on
 * one connection; a run spread over several invocations passes `null` and relies on the lease.
 */
export async function openLog(
  db: Kysely<Database>,
  source: SourceName,
  scope: string | null,
  options: { bindToBackend: boolean; leaseSeconds: number },
): Promise<string> {
  const row = await sql<{ id: string }>`
    insert into sync_logs (source, scope, status, pid, lease_until)
    values (${source}, ${scope}, 'RUNNING',
            ${options.bindToBackend ? sql`pg_backend_pid()` : sql`null`},
            now() + make_interval(secs => ${options.leaseSeconds}))
    returning id`.execute(db);
  return row.rows[0].id;
}

/** Extends a running log's lease and records progress so far. */
export async function heartbeat(db: Kysely<Database>, id: string, counts: SyncCounts, leaseSeconds: number) {
  await sql`
    update sync_logs
       set lease_until = now() + make_interval(secs => ${leaseSeconds}),
           records_processed = ${processed(counts)}, created = ${counts.created}, updated = ${counts.updated},
           unchanged = ${counts.unchanged}, failed = ${counts.failed}
     where id = ${id} and status = 'RUNNING'`.execute(db);
}

/** Closes a log with its final status and counts. */
export async function closeLog(
  db: Kysely<Database>,
  id: string,
  status: SyncStatus,
  counts: SyncCounts,
  message: string | null,
): Promise<void> {
  await db.updateTable("sync_logs").set({
    status,
    records_processed: processed(counts),
    created: counts.created,
    updated: counts.updated,
    unchanged: counts.unchanged,
    deleted: counts.deleted,
    failed: counts.failed,
    // Through a text cast: postgres.js would encode a string bound to jsonb a second time.
    errors: sql<string>`${JSON.stringify(counts.errors.slice(0, LOGGED_ERRORS))}::text::jsonb`,
    error_message: message,
    completed_at: new Date(),
    pid: null,
    lease_until: null,
  }).where("id", "=", id).execute();
}

function processed(c: SyncCounts): number {
  return c.created + c.updated + c.unchanged + c.failed;
}
