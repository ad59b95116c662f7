/**
 * SyncResult: what a sync did. `sync()` writes a batch of SourceRecords into their source table
 * set-based (people first, then rows in chunks), soft-deletes what a complete full set no longer
 * contains, and logs the run in `sync_logs`. One bad record fails alone; the batch goes on.
 */
import { type Kysely, sql } from "kysely";
import type { Database, SyncStatus } from "../db/types.ts";
import type { SourceRecord } from "./record.ts";
import type { SourceTable } from "./source-table.ts";
import { planBatch, type PlannedBatch, type PreparedRecord, type RecordError } from "./normalize.ts";
import { changedRows, type People, refreshNames, resolvePeople, upsertChunk } from "./upsert.ts";
import { closeLog, failAbandonedRuns, heartbeat, openLog, startCounts, type SyncCounts } from "./sync-log.ts";
import { type DeleteOutcome, softDeleteMissing } from "./soft-delete.ts";
import { contentHash } from "../crypto/content-hash.ts";

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
const WRITERS = 2;
/** Chunks this small skip the fingerprint probe: `upsertChunk` filters unchanged rows itself. */
const PROBE_FROM = 50;
/** Tries of a chunk that a deadlock or serialization failure interrupted. */
const CHUNK_ATTEMPTS = 3;
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

/** How `writeRows` commits. */
export interface WriteOptions {
  /**
   * Commit each chunk without waiting for its WAL to reach disk. Only for a run that ends with a
   * commit of its own (its log, its checkpoint): that commit flushes the WAL up to itself, chunks
   * included, so once the run reports, its rows are as durable as with a flush per chunk. A crash
   * before then can lose the last chunks, never corrupt them; the run stays unfinished and the
   * next run writes them again.
   */
  asyncCommit?: boolean;
}

/**
 * Writes a planned batch in chunks: people first, then the rows. Each chunk is prepared when a
 * writer takes it. A chunk the database refuses is retried record by record, so one bad record
 * fails alone with the database's reason.
 */
export async function writeRows(
  db: Kysely<Database>,
  table: SourceTable,
  batch: PlannedBatch,
  counts: SyncCounts,
  chunkSize: number,
  afterChunk: () => Promise<void>,
  options: WriteOptions = {},
): Promise<void> {
  const syncedAt = new Date();
  const touched = new Set<string>();
  // The people this run has found or created, by email, once their rows are committed. Users
  // are never deleted, so a later chunk naming only them needs no users statement.
  const people: People = new Map();
  let next = 0;
  let stopped = false;
  // Into an empty table every record is new: skip asking which ones changed, and insert without
  // ON CONFLICT (whose check costs an index probe per row). Should a concurrent writer have put
  // one of the keys there after all, the insert fails whole and the chunk is upserted instead.
  let empty = batch.size >= PROBE_FROM && !(await hasRows(db, table));
  // People and rows of a chunk commit together, so a person learned here exists for later chunks.
  const peopleThenRows = async (conn: Kysely<Database>, rows: PreparedRecord[], fresh: boolean) => {
    const learned = await resolvePeople(conn, rows, people);
    for (const r of rows) {
      r.userId = r.email === null ? null : people.get(r.email) ?? learned.get(r.email) ?? null;
    }
    return { learned, done: await upsertChunk(conn, table, rows, syncedAt, { fresh }) };
  };
  const writeChunk = async (chunk: PreparedRecord[], fresh: boolean) => {
    // A few records (a webhook's one) are cheaper to send whole than to probe first.
    const changed = fresh || chunk.length < PROBE_FROM
      ? chunk
      : await changedRows(db, table, chunk, syncedAt);
    if (changed.length > 0) {
      // Fingerprints are computed before the transaction, which holds the chunk's new people.
      for (const r of changed) r.hash ??= contentHash(r.raw);
      // (A run handed a transaction already commits with it.)
      const { learned, done } = options.asyncCommit && !db.isTransaction
        ? await db.transaction().execute(async (tx) => {
          await sql`set local synchronous_commit = off`.execute(tx);
          return await peopleThenRows(tx, changed, fresh);
        })
        : await peopleThenRows(db, changed, fresh);
      for (const [email, id] of learned) people.set(email, id);
      counts.created += done.created;
      counts.updated += done.updated;
      counts.unchanged += chunk.length - done.created - done.updated;
      for (const id of done.userIds) touched.add(id);
    } else {
      counts.unchanged += chunk.length;
    }
  };
  // A chunk is tried whole. On the plain-insert path a unique violation turns the run to upserts;
  // a deadlock or serialization failure (a racing run took the same rows in another order) is
  // tried again; any other refusal is left to the caller, which goes record by record.
  const tryChunk = async (chunk: PreparedRecord[]) => {
    for (let attempt = 1;; attempt++) {
      const fresh = empty;
      try {
        return await writeChunk(chunk, fresh);
      } catch (error) {
        if (fresh && isUniqueViolation(error)) empty = false; // someone else writes here too
        else if (!isTransient(error) || attempt >= CHUNK_ATTEMPTS) throw error;
      }
    }
  };
  // Two writers keep both sides busy: while Postgres runs one chunk's statement, the other chunk is
  // prepared and sent. Chunks hold distinct keys, and users are inserted in email order, so the
  // writers cannot deadlock each other.
  const writer = async () => {
    try {
      while (!stopped && next < batch.size) {
        const from = next;
        next += chunkSize;
        const failedBefore = counts.errors.length;
        const chunk = batch.prepare(from, from + chunkSize, counts.errors);
        counts.failed += counts.errors.length - failedBefore;
        try {
          await tryChunk(chunk);
        } catch (error) {
          if (isConnectionLoss(error)) throw error;
          for (const row of chunk) await writeOne(db, table, row, syncedAt, people, counts, touched);
        }
        await afterChunk();
      }
    } catch (error) {
      stopped = true; // the other writer takes no further chunk of a run that has failed
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITERS, Math.ceil(batch.size / chunkSize)) }, writer));
  // Names are refreshed on as many connections: contiguous id ranges, each locked in id order.
  const ids = [...touched].sort();
  const share = Math.ceil(ids.length / WRITERS);
  await Promise.all(
    Array.from({ length: WRITERS }, (_, w) => refreshNames(db, ids.slice(w * share, (w + 1) * share))),
  );
}

async function writeOne(
  db: Kysely<Database>,
  table: SourceTable,
  row: PreparedRecord,
  syncedAt: Date,
  people: People,
  counts: SyncCounts,
  touched: Set<string>,
): Promise<void> {
  try {
    const learned = await resolvePeople(db, [row], people);
    for (const [email, id] of learned) people.set(email, id);
    row.userId = row.email === null ? null : people.get(row.email) ?? null;
    const done = await upsertChunk(db, table, [row], syncedAt);
    counts.created += done.created;
    counts.updated += done.updated;
    counts.unchanged += 1 - done.created - done.updated;
    for (const id of done.userIds) touched.add(id);
  } catch (error) {
    if (isConnectionLoss(error)) throw error;
    counts.failed++;
    counts.errors.push({ key: row.key, reason: databaseReason(error) });
  }
}

async function hasRows(db: Kysely<Database>, table: SourceTable): Promise<boolean> {
  const r = await sql<{ any: boolean }>`select exists (select 1 from ${sql.table(table.table)}) as any`
    .execute(db);
  return r.rows[0].any;
}

/**
 * The database's reason on one line, with its detail ("invalid input syntax for type json: ..."),
 * except for constraint violations, whose detail repeats the whole failing row.
 */
function databaseReason(error: unknown): string {
  const { message, detail, code } = error as { message?: string; detail?: string; code?: string };
  const line = (text: string) => text.split("\n")[0].slice(0, 300);
  const reason = line(message ?? String(error));
  return detail && !code?.startsWith("23") ? `${reason}: ${line(detail)}` : reason;
}

/** Deadlock detected, or a serialization failure: the same statement may well succeed again. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === "40P01" || code === "40001";
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "23505";
}

function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? "";
  return /^(08|57P)/.test(code) ||
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "CONNECTION_CLOSED",
      "CONNECTION_ENDED",
      "CONNECTION_DESTROYED",
      "CONNECT_TIMEOUT",
    ].includes(code);
}

/** Rows of a table, for tests and reports that need a quick count. */
export async function liveCount(db: Kysely<Database>, table: SourceTable, scope: string): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table.table)}
    where ${sql.ref(table.scopeColumn)} = ${scope} and deleted_at is null`.execute(db);
  return r.rows[0].n;
}
