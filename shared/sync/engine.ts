/**
 * SyncResult: what a sync did. The engine writes SourceRecords into their source table set-based
 * (people first, then rows in chunks): `upsertRecords` for a webhook's few records, `SyncRun` (and
 * its one-shot form `SyncRun.once`) for logged runs that may soft-delete what a complete full set
 * no longer contains. One bad record fails alone; the batch goes on.
 */
import type { Kysely } from "kysely";
import type { Database, SyncStatus } from "../db/types.ts";
import type { SourceRecord } from "./record.ts";
import type { SourceTable } from "./source-table.ts";
import { planBatch, type RecordError } from "./normalize.ts";
import { closeLog, startCounts, type SyncCounts } from "./sync-log.ts";
import type { DeleteOutcome } from "./soft-delete.ts";
import { writeRows } from "./write-rows.ts";

export type { SyncCounts } from "./sync-log.ts";

/** Options of a one-shot run (`SyncRun.once`). */
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

/** Rows per upsert statement unless a caller says otherwise. */
export const DEFAULT_CHUNK = 2000;
/**
 * Writes records without a run log: the webhook path, where `webhook_events` is the record of
 * each delivery. `seenAt` is when the records first reached us (the delivery's `received_at`;
 * default now). Returns the counts; never throws for one bad record.
 */
export async function upsertRecords(
  db: Kysely<Database>,
  table: SourceTable,
  records: readonly SourceRecord[],
  options: { chunkSize?: number; seenAt?: Date } = {},
): Promise<SyncCounts> {
  const errors: RecordError[] = [];
  const batch = planBatch(records, table.keyedByScope, errors);
  const counts = startCounts(errors);
  await writeRows(db, table, batch, counts, options.chunkSize ?? DEFAULT_CHUNK, async () => {}, {
    seenAt: options.seenAt,
  });
  return counts;
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
