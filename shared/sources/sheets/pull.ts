/**
 * pullSheetSource: one pull of one `sheet_sources` row into `sheet_data` (kind SHEET) or
 * `elective_data` (kind ELECTIVE), as one logged full `SyncRun` scoped to the source's URL. Rows
 * stream from the download through the mapper into the run a chunk at a time.
 *
 * A pull may be given a time budget (an edge invocation has 2 s of CPU). When it is spent the pull
 * stops between chunks, saves where it stands in the checkpoint `sheets:pull:<source id>` (the
 * run's id, the rows written and their tally) and answers `done: false`; the next invocation
 * resumes the same run. Only a read that reached the end of the sheet soft-deletes what the sheet
 * no longer has, through `SyncRun.finish` and its safety valve. Any failure — a sheet that is not
 * shared, a 404, a 429 that outlasts the retries, a timeout, an empty sheet, a header row without
 * an email column — closes the run FAILED with a one-line reason and deletes nothing.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/types.ts";
import { isUnavailable } from "../../db/client.ts";
import { oneLine, PayloadError } from "../../errors.ts";
import { SyncRun } from "../../sync/sync-run.ts";
import {
  type CheckpointClaim,
  claimCheckpoint,
  releaseClaim,
  saveClaimed,
} from "../../sync/checkpoint-claim.ts";
import { sheetRows, type SheetRowsOptions } from "./pull-rows.ts";
import {
  SheetChangedError,
  streamIntoRun,
  type StreamOutcome,
  type StreamPosition,
} from "../tabular/stream-into-run.ts";
import { markSheetPulled, type SheetSource } from "./sheet-sources.ts";
import { type PullSummary, pullSummary } from "./pull-summary.ts";
import { idleState, sheetPullCheckpointName, type SheetPullState } from "./pull-state.ts";
import { findTabularKind, type TabularKind } from "../tabular/tabular-kind.ts";

export type { PullSummary, SheetPullState };
export { sheetPullCheckpointName };

/** Options of a pull. */
export interface PullOptions extends SheetRowsOptions {
  /** The kinds of source the pull can read (`sheetKind`, `electiveKind`): the table and mapper of each. */
  kinds: readonly TabularKind[];
  /** Stop between chunks after this many ms of the invocation (default: read to the end). */
  budgetMs?: number;
  /** When the invocation started (ms, by `now`); the budget counts from here. Default: now. */
  startedAt?: number;
  /** Soft-delete past the safety valve. */
  force?: boolean;
  maxDeleteShare?: number;
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
  /** Progress lines (column detection, rows read, resumes). */
  log?: (line: string) => void;
  /** Called after every written chunk with the rows of the sheet read so far. */
  onProgress?: (progress: { source: string; rowsDone: number }) => void;
}

/** How long an invocation may hold a source's checkpoint without saving it. */
const CLAIM_SECONDS = 600;

class LostClaimError extends Error {}

/**
 * Pulls one source now, or resumes its unfinished pull.
 *
 * @throws only when the database is unavailable (the run and checkpoint are kept for a resume);
 *   every other failure is a FAILED summary.
 * @example
 * const summary = await pullSheetSource(db, source, { kinds: [sheetKind, electiveKind], budgetMs: 1000 });
 * if (!summary.done) { ... call again later ... }
 */
export async function pullSheetSource(
  db: Kysely<Database>,
  source: SheetSource,
  options: PullOptions,
): Promise<PullSummary> {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  const log = (line: string) => options.log?.(`${source.name}: ${line}`);
  const claim = await claimCheckpoint<SheetPullState>(db, sheetPullCheckpointName(source.id), CLAIM_SECONDS);
  if ("heldUntil" in claim) {
    return pullSummary(source, {
      status: "BUSY",
      done: false,
      resumes: true,
      error: "another pull of this source is running",
    });
  }
  const save = async (state: SheetPullState) => {
    try {
      await saveClaimed(db, claim, state, CLAIM_SECONDS);
    } catch (error) {
      if (isUnavailable(error)) throw error;
      throw new LostClaimError(oneLine(error));
    }
  };
  try {
    return await pullClaimed(db, source, claim, save, { ...options, now, startedAt }, log);
  } catch (error) {
    if (!(error instanceof LostClaimError)) throw error;
    const reason = "another pull took this source over";
    return pullSummary(source, { status: "BUSY", done: false, resumes: true, error: reason });
  } finally {
    await releaseClaim(db, claim).catch(() => {});
  }
}

async function pullClaimed(
  db: Kysely<Database>,
  source: SheetSource,
  claim: CheckpointClaim<SheetPullState>,
  save: (state: SheetPullState) => Promise<void>,
  options: PullOptions & { now: () => number; startedAt: number },
  log: (line: string) => void,
): Promise<PullSummary> {
  const { now, startedAt } = options;
  let state: SheetPullState = claim.state ?? idleState(null, null);
  let columns: string[] = [];
  let lastProgress = now();

  // A sheet that changed between slices is read once more from the top, in a new run.
  for (let attempt = 1;; attempt++) {
    let run: SyncRun | null = null;
    let resume: StreamPosition | undefined;
    if (state.runId && state.url && state.kind) {
      const open = await SyncRun.resume(db, findTabularKind(options.kinds, state.kind).table, state.runId, {
        scope: state.url,
        full: true,
      });
      if (open && (state.url !== source.url || state.kind !== source.kind)) {
        await open.fail("the source's URL or kind changed during the pull; the new one is pulled instead");
      } else if (open) {
        run = open;
        resume = { rowsDone: state.rowsDone, tally: state.tally };
        log(`resuming after ${state.rowsDone} rows (slice ${state.slices + 1})`);
      } else {
        log("the interrupted pull was closed meanwhile; reading the sheet again from the first row");
      }
    }
    if (!run) {
      run = await SyncRun.start(db, findTabularKind(options.kinds, source.kind).table, {
        scope: source.url,
        full: true,
      });
      state = {
        ...idleState(new Date(now()).toISOString(), state.lastSyncLogId),
        runId: run.id,
        url: source.url,
        kind: source.kind,
      };
    }
    state = { ...state, slices: state.slices + 1 };
    await save(state);

    const mapperFor = findTabularKind(options.kinds, source.kind)
      .rowMapper({ scope: source.url, columnMap: source.columnMap });
    const writer = run;
    let outcome: StreamOutcome;
    try {
      outcome = await streamIntoRun(
        sheetRows(source.url, options),
        mapperFor,
        (records, unmapped) => writer.write(records, unmapped),
        {
          resume,
          budgetMs: options.budgetMs,
          elapsed: () => now() - startedAt,
          onColumns(detected) {
            columns = detected;
            if (!resume) log(`columns: ${detected.join(", ")}`);
          },
          async onWritten(position) {
            state = { ...state, rowsDone: position.rowsDone, tally: position.tally };
            await save(state);
            options.onProgress?.({ source: source.name, rowsDone: position.rowsDone });
            if (now() - lastProgress >= 1000) {
              lastProgress = now();
              log(`${position.rowsDone} rows read`);
            }
          },
        },
      );
      if (outcome.complete && outcome.rowsDone === 0) {
        throw new PayloadError(
          "the sheet is empty: it has a header row but no data rows; nothing was deleted",
        );
      }
    } catch (error) {
      // The database going away keeps the run and checkpoint: the next invocation resumes.
      if (isUnavailable(error) || error instanceof LostClaimError) throw error;
      const changed = error instanceof SheetChangedError;
      const reason = changed
        ? "the sheet changed while it was read in slices; nothing was deleted, and it is read again from the first row"
        : oneLine(error);
      const result = await run.fail(reason);
      state = idleState(state.lastAttemptAt, run.id);
      await save(state);
      if (changed && attempt === 1) {
        log(reason);
        continue;
      }
      log(`FAILED: ${reason}`);
      return pullSummary(source, { status: "FAILED", syncLogId: run.id, columns, error: reason }, result);
    }

    if (!outcome.complete) {
      const sofar = await db.selectFrom("sync_logs")
        .select(["created", "updated", "unchanged", "deleted", "failed", "errors"])
        .where("id", "=", run.id).executeTakeFirstOrThrow();
      log(`paused after ${outcome.rowsDone} rows; the next call resumes the pull`);
      return pullSummary(source, {
        status: "RUNNING",
        syncLogId: run.id,
        done: false,
        resumes: true,
        columns,
        rows: outcome.rowsThisCall,
      }, sofar);
    }

    const result = await run.finish({
      complete: true,
      force: options.force,
      maxDeleteShare: options.maxDeleteShare,
    });
    if (result.status !== "FAILED") await markSheetPulled(db, source.id, new Date(now()));
    state = idleState(state.lastAttemptAt, run.id);
    await save(state);
    return pullSummary(source, {
      status: result.status,
      syncLogId: run.id,
      columns,
      rows: outcome.rowsThisCall,
      ...(result.deleteRefused ? { deleteRefused: result.deleteRefused } : {}),
    }, result);
  }
}
