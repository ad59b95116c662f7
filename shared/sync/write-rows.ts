/**
 * writeRows: how a planned batch reaches its source table. Chunks of records go through two
 * writers; each chunk's people are found or created, then its rows written in one statement, with
 * a retry of the whole chunk after a deadlock and record by record after any other refusal.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { SourceTable } from "./source-table.ts";
import type { PlannedBatch, PreparedRecord } from "./normalize.ts";
import { changedRows, refreshNames, upsertChunk } from "./upsert.ts";
import { type People, resolvePeople } from "./people.ts";
import type { SyncCounts } from "./sync-log.ts";
import { contentHash } from "../crypto/content-hash.ts";

const WRITERS = 2;
/** Chunks this small skip the fingerprint probe: `upsertChunk` filters unchanged rows itself. */
const PROBE_FROM = 50;
/** Tries of a chunk that a deadlock or serialization failure interrupted. */
const CHUNK_ATTEMPTS = 3;

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
  /**
   * When these versions first reached us (a stored delivery's `received_at`); default now. It
   * stands in for unknown change times and breaks ties the lifecycle leaves open.
   */
  seenAt?: Date;
}

/**
 * Writes a planned batch in chunks: people first, then the rows, then the names of the people
 * touched. Each chunk is prepared when a writer takes it. A chunk the database refuses is retried
 * record by record, so one bad record fails alone with the database's reason.
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
  const seenAt = options.seenAt ?? new Date();
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
  // A chunk's people, then its rows. With `asyncCommit` both commit in one transaction; either way
  // the ids learned join `people` only once committed, so later chunks never name a person who is
  // not there.
  const peopleThenRows = async (conn: Kysely<Database>, rows: PreparedRecord[], fresh: boolean) => {
    const learned = await resolvePeople(conn, rows, people);
    for (const r of rows) {
      r.userId = r.email === null ? null : people.get(r.email) ?? learned.get(r.email) ?? null;
    }
    return { learned, done: await upsertChunk(conn, table, rows, seenAt, { fresh }) };
  };
  const writeChunk = async (chunk: PreparedRecord[], fresh: boolean) => {
    // A few records (a webhook's one) are cheaper to send whole than to probe first.
    const changed = fresh || chunk.length < PROBE_FROM ? chunk : await changedRows(db, table, chunk, seenAt);
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
  // One record alone, after its chunk was refused: it fails with the database's own reason.
  const writeOne = async (row: PreparedRecord) => {
    try {
      await writeChunk([row], false);
    } catch (error) {
      if (isConnectionLoss(error)) throw error;
      counts.failed++;
      counts.errors.push({ key: row.key, reason: databaseReason(error) });
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
          for (const row of chunk) await writeOne(row);
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
