/**
 * SyncRun: a logged run, the one way records are written with a log: `SyncRun.once` for a whole
 * run in one call, `start`/`resume` for a run that spans several calls or invocations — a backfill
 * read page by page, a sheet pulled in slices that each fit the Edge CPU budget. Its counts accumulate in its
 * `sync_logs` row, the keys a full run has seen in `sync_run_keys`, and its lease is renewed by
 * every slice; a run that stops being renewed is taken as crashed by the next run of its source.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { SourceRecord } from "./record.ts";
import type { SourceTable } from "./source-table.ts";
import { planBatch, type RecordError } from "./normalize.ts";
import { DEFAULT_CHUNK, finish, type SyncOptions, type SyncResult } from "./engine.ts";
import { writeRows } from "./write-rows.ts";
import {
  closeLog,
  failAbandonedRuns,
  heartbeat,
  LOGGED_ERRORS,
  openLog,
  startCounts,
  type SyncCounts,
} from "./sync-log.ts";
import { type DeleteOutcome, softDeleteMissing } from "./soft-delete.ts";
import { oneLine } from "../errors.ts";

const UNIDENTIFIED = "";

/** How long a slice may take before the run is presumed dead (Edge's wall clock is 150–400 s). */
const SLICE_LEASE_SECONDS = 900;
/** The lease of a one-shot run, renewed every {@link HEARTBEAT_MS} while it writes. */
const ONCE_LEASE_SECONDS = 300;
/**
 * How often a one-shot run's log is updated with its progress (and its lease extended). Not per
 * chunk: each update is a commit that waits for the disk, chunks included, which would undo the
 * chunks' asynchronous commits.
 */
const HEARTBEAT_MS = 5000;

export interface SyncRunOptions {
  scope: string;
  /** The run will read the scope's complete set, so what it did not see may be soft-deleted. */
  full: boolean;
  chunkSize?: number;
}

export class SyncRun {
  private constructor(
    private readonly db: Kysely<Database>,
    readonly table: SourceTable,
    readonly id: string,
    readonly options: SyncRunOptions,
  ) {}

  /**
   * A whole run in one call: opens its log, writes `records`, soft-deletes what a full run of
   * `scope` did not contain (within the safety valve) and closes the log. The log is tied to the
   * backend doing the work, so a run whose process dies is failed by the next run at once, and its
   * lease is renewed every few seconds while it writes. The seen keys stay in memory.
   *
   * @example
   * const result = await SyncRun.once(db, whopTable, records, { full: true, scope: "payment" });
   * // { created: 12, updated: 3, unchanged: 985, deleted: 1, failed: 0, errors: [], status: "SUCCESS", ... }
   */
  static async once(
    db: Kysely<Database>,
    table: SourceTable,
    records: readonly SourceRecord[],
    options: SyncOptions = {},
  ): Promise<SyncResult> {
    if (options.full && options.scope === undefined) throw new Error("a full sync needs a scope");
    // The log lives on one connection, so it can name the backend doing the work.
    return await db.connection().execute(async (conn) => {
      await failAbandonedRuns(conn, table.source);
      const logId = await openLog(conn, table.source, options.scope ?? null, {
        bindToBackend: true,
        leaseSeconds: ONCE_LEASE_SECONDS,
      });
      const errors: RecordError[] = [];
      const batch = planBatch(records, table.keyedByScope, errors);
      const counts = startCounts(errors);
      let lastBeat = performance.now();
      const beat = async () => {
        if (performance.now() - lastBeat < HEARTBEAT_MS) return;
        lastBeat = performance.now();
        await heartbeat(conn, logId, counts, ONCE_LEASE_SECONDS);
      };
      try {
        // The rows go through the pool, so chunks can overlap; closing the log is a commit of its
        // own, which makes the chunks durable.
        await writeRows(db, table, batch, counts, options.chunkSize ?? DEFAULT_CHUNK, beat, {
          asyncCommit: true,
        });
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
        const message = `sync stopped: ${oneLine(error)}`;
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

  /** Opens a RUNNING log for a new run (after failing runs of this source that were abandoned). */
  static async start(db: Kysely<Database>, table: SourceTable, options: SyncRunOptions): Promise<SyncRun> {
    await failAbandonedRuns(db, table.source);
    const id = await openLog(db, table.source, options.scope, {
      bindToBackend: false,
      leaseSeconds: SLICE_LEASE_SECONDS,
    });
    return new SyncRun(db, table, id, options);
  }

  /** Continues a run a previous invocation started; `null` when it is no longer RUNNING. */
  static async resume(
    db: Kysely<Database>,
    table: SourceTable,
    id: string,
    options: SyncRunOptions,
  ): Promise<SyncRun | null> {
    const log = await db.selectFrom("sync_logs").select("status").where("id", "=", id).executeTakeFirst();
    if (log?.status !== "RUNNING") return null;
    return new SyncRun(db, table, id, options);
  }

  /**
   * Writes one slice of records; its counts are added to the run's log. `unmapped` are objects the
   * source returned but its mapper refused: they count as failed, and a full run treats their keys
   * as seen so their existing rows survive. One without a key cannot be marked seen, so a full run
   * that met one soft-deletes nothing.
   */
  async write(records: readonly SourceRecord[], unmapped: readonly RecordError[] = []): Promise<SyncCounts> {
    const errors = [...unmapped];
    const batch = planBatch(records, this.table.keyedByScope, errors);
    const counts = startCounts(errors);
    // The seen keys and counts below are committed after the rows, which makes the rows durable.
    await writeRows(this.db, this.table, batch, counts, this.options.chunkSize ?? 2000, async () => {}, {
      asyncCommit: true,
    });
    // Every key the source returned, mapped, refused or not; UNIDENTIFIED stands for an object
    // without one.
    const seen = [
      ...batch.keys,
      ...unmapped.map((u) => u.key ?? UNIDENTIFIED),
      ...(batch.keyless > 0 ? [UNIDENTIFIED] : []),
    ];
    if (this.options.full && seen.length > 0) {
      const keys = JSON.stringify(seen);
      await sql`
        insert into sync_run_keys (sync_log_id, key)
        select ${this.id}::uuid, value from json_array_elements_text(${keys}::text::json)
        on conflict do nothing`.execute(this.db);
    }
    const processed = counts.created + counts.updated + counts.unchanged + counts.failed;
    const newErrors = JSON.stringify(counts.errors);
    await sql`
      update sync_logs set
        created = created + ${counts.created}, updated = updated + ${counts.updated},
        unchanged = unchanged + ${counts.unchanged}, failed = failed + ${counts.failed},
        records_processed = records_processed + ${processed},
        errors = (select coalesce(jsonb_agg(e), '[]') from (
                   select e from jsonb_array_elements(errors || ${newErrors}::text::jsonb) e
                   limit ${LOGGED_ERRORS}) x),
        lease_until = now() + make_interval(secs => ${SLICE_LEASE_SECONDS})
      where id = ${this.id}`.execute(this.db);
    return counts;
  }

  /**
   * Closes the run. A full run that read its whole set (`complete`) soft-deletes what it did not
   * see, within the safety valve; an incomplete one deletes nothing. A run that read to the end of
   * a set whose end it cannot verify (`unverified`, a one-line reason) deletes nothing and is
   * PARTIAL with that reason.
   */
  async finish(
    options: { complete: boolean; force?: boolean; maxDeleteShare?: number; unverified?: string },
  ): Promise<SyncResult> {
    const totals = await this.totals();
    let outcome = null;
    const notes: string[] = options.unverified ? [options.unverified] : [];
    if (this.options.full && options.complete && !options.unverified) {
      if (await this.metUnidentified()) {
        notes.push("an object without an id could not be read, so nothing was soft-deleted");
      } else {
        const seen = { syncLogId: this.id };
        outcome = await softDeleteMissing(this.db, this.table, this.options.scope, seen, options);
        totals.deleted = outcome.deleted;
      }
    }
    await sql`delete from sync_run_keys where sync_log_id = ${this.id}`.execute(this.db);
    if (!options.complete) {
      const message = "the source was not read completely; nothing was soft-deleted";
      await closeLog(this.db, this.id, "FAILED", totals, message);
      return { ...totals, status: "FAILED", syncLogId: this.id };
    }
    return await finish(this.db, this.id, totals, outcome, notes);
  }

  private async metUnidentified(): Promise<boolean> {
    const hit = await this.db.selectFrom("sync_run_keys").select("key")
      .where("sync_log_id", "=", this.id).where("key", "=", UNIDENTIFIED).executeTakeFirst();
    return hit !== undefined;
  }

  /** Closes the run as FAILED with a one-line reason; deletes nothing. */
  async fail(reason: string): Promise<SyncResult> {
    const totals = await this.totals();
    await sql`delete from sync_run_keys where sync_log_id = ${this.id}`.execute(this.db);
    await closeLog(this.db, this.id, "FAILED", totals, reason);
    return { ...totals, status: "FAILED", syncLogId: this.id };
  }

  /** The run's counts so far, as its log holds them. */
  async totals(): Promise<SyncCounts> {
    const log = await this.db.selectFrom("sync_logs")
      .select(["created", "updated", "unchanged", "deleted", "failed", "errors"])
      .where("id", "=", this.id).executeTakeFirstOrThrow();
    return {
      created: log.created,
      updated: log.updated,
      unchanged: log.unchanged,
      deleted: log.deleted,
      failed: log.failed,
      errors: (log.errors as SyncCounts["errors"]) ?? [],
    };
  }
}
