/**
 * SyncResult: what a sync did. `sync()` writes a batch of SourceRecords into their source table
 * set-based (people first, then rows in chunks), soft-deletes what a complete full set no longer
 * contains, and logs the run in `sync_logs`. One bad record fails alone; the batch goes on.
 */
import { type Kysely, sql } from "kysely";
import type { Database, SyncStatus } from "../db/types.ts";
import type { SourceRecord } from "./record.ts";
import type { SourceTable } from "./source-table.ts";
import { planBatch, type RecordError } from "./normalize.ts";
import { closeLog, failAbandonedRuns, heartbeat, openLog, startCounts, type SyncCounts } from "./sync-log.ts";
import { type DeleteOutcome, softDeleteMissing } from "./soft-delete.ts";
import { writeRows } from "./write-rows.ts";

export type { SyncCounts } from "./sync-log.ts";

/** Options of {@link sync}. */
export interface SyncOptions {
  /** The records are the complete set of `scope`: rows of the scope not among them are soft-deleted. */
  full?: boolean;
  /** The scope a full sync replaces (a location id, a sheet URL, a Whop object kind). */
  scope?: string;
  /** Soft-delete even past the safety valve. */
  force?: boolean;
  /** The largest share of a scope's live rows a full sync may soft-delete unforced (default 0.5). */
  maxDeleteShare?: number;
  /** Rows per upsert statement (default 2000). */
  chunkSize?: number;
}

/** What a run did, with the id of its `sync_logs` row. */
export interface SyncResult extends SyncCounts {
  status: SyncStatus;
  syncLogId: string | null;
  /** Set when the safety valve refused to soft-delete. */
  deleteRefused?: { wouldDelete: number; live: number };
}

const DEFAULT_CHUNK = 2000;
const LEASE_SECONDS = 300;
/**
 * How often a run's log is updated with its progress (and its lease extended). Not per chunk: each
 * update is a commit that waits for the disk, chunks included, which would undo `asyncCommit`.
 */
const HEARTBEAT_MS = 5000;

/**
 * Writes records without a run log: the webhook path, where `webhook_events` is the record of
 * each delivery. Returns the counts; never throws for one bad record.
 */
export async function upsertRecords(
  db: Kysely<Database>,
  table: SourceTable,
  records: readonly SourceRecord[],
  options: { chunkSize?: number } = {},
): Promise<SyncCounts> {
  const errors: RecordError[] = [];
  const batch = planBatch(records, table.keyedByScope, errors);
  const counts = startCounts(errors);
  await writeRows(db, table, batch, counts, options.chunkSize ?? DEFAULT_CHUNK, async () => {});
  return counts;
}

/**
 * Syncs one batch of one source as a logged run.
 *
 * @example
 * const result = await sync(db, whopTable, records, { full: true, scope: "payment" });
 * // { created: 12, updated: 3, unchanged: 985, deleted: 1, failed: 0, errors: [], status: "SUCCESS", ... }
 */
export async function sync(
  db: Kysely<Database>,
  table: SourceTable,
  records: readonly SourceRecord[],
  options: SyncOptions = {},
): Promise<SyncResult> {
  if (options.full && options.scope === undefined) throw new Error("a full sync needs a scope");
  // The whole run happens on one connection, so its log can name the backend doing the work.
  return await db.connection().execute(async (conn) => {
    await failAbandonedRuns(conn, table.source);
    const logId = await openLog(conn, table.source, options.scope ?? null, {
      bindToBackend: true,
      leaseSeconds: LEASE_SECONDS,
    });
    const errors: RecordError[] = [];
    const batch = planBatch(records, table.keyedByScope, errors);
    const counts = startCounts(errors);
    let lastBeat = performance.now();
    const beat = async () => {
      if (performance.now() - lastBeat < HEARTBEAT_MS) return;
      lastBeat = performance.now();
      await heartbeat(conn, logId, counts, LEASE_SECONDS);
    };
    try {
      // The log lives on `conn`; the rows go through the pool, so chunks can overlap.
      await writeRows(
        db,
        table,
        batch,
        counts,
        options.chunkSize ?? DEFAULT_CHUNK,
        beat,
        // The log is closed with a commit of its own, which makes the chunks durable.
        { asyncCommit: true },
      );
      let outcome: DeleteOutcome | null = null;
      const notes: string[] = [];
      if (options.full && batch.keyless > 0) {
        // A record without a key might be any stored row: deleting "the rest" could delete it.
        notes.push(`${batch.keyless} record(s) had no key, so nothing was soft-deleted`);
      } else if (options.full) {
        // Refused records count as seen: a record that could not be written is still there.
        outcome = await softDeleteMissing(conn, table, options.scope!, { keys: batch.keys }, options);
        counts.deleted = outcome.deleted;
      }
      return await finish(conn, logId, counts, outcome, notes);
    } catch (error) {
      const message = `sync stopped: ${(error as Error).message?.split("\n")[0]}`;
      await closeLog(conn, logId, "FAILED", counts, message).catch(() => {});
      return {
        ...counts,
        status: "FAILED" as const,
        syncLogId: logId,
        errors: [...counts.errors, { key: null, reason: message }],
      };
    }
  });
}

/** Closes a run's log with the status its counts and delete outcome call for. */
export async function finish(
  db: Kysely<Database>,
  logId: string,
  counts: SyncCounts,
  outcome: DeleteOutcome | null,
  notes: readonly string[] = [],
): Promise<SyncResult> {
  const refused = outcome?.refused;
  const status: SyncStatus = counts.failed > 0 || refused || notes.length > 0 ? "PARTIAL" : "SUCCESS";
  const messages: string[] = [...notes];
  if (counts.failed > 0) {
    messages.push(`${counts.failed} record(s) failed; first: ${counts.errors[0]?.reason}`);
  }
  if (refused) {
    messages.push(
      `safety valve: a full sync would soft-delete ${refused.wouldDelete} of ${refused.live} live rows ` +
        `(more than ${
          Math.round(refused.maxShare * 100)
        }%); nothing was deleted; run again with --force if that is right`,
    );
  }
  await closeLog(db, logId, status, counts, messages.length ? messages.join("; ") : null);
  return {
    ...counts,
    status,
    syncLogId: logId,
    ...(refused ? { deleteRefused: { wouldDelete: refused.wouldDelete, live: refused.live } } : {}),
  };
}

/** Rows of a table, for tests and reports that need a quick count. */
export async function liveCount(db: Kysely<Database>, table: SourceTable, scope: string): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table.table)}
    where ${sql.ref(table.scopeColumn)} = ${scope} and deleted_at is null`.execute(db);
  return r.rows[0].n;
}
