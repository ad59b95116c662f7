/**
 * pullSheetSource: one pull of one `sheet_sources` row into `sheet_data` (kind SHEET) or
 * `elective_data` (kind ELECTIVE), as one logged full `SyncRun` scoped to the source's URL. Rows
 * stream from the download through the mapper into the run a chunk at a time.
 *
 * A pull may be given a time budget (an edge invocation has 2 s of CPU). When it is spent the pull
 * stops between chunks, saves where it stands in the checkpoint `sheets:pull:<source id>` (the
 * run's id, the rows written and their tally) and answers `done: false`; the next invocation
 * resumes the same run. Only a read that reached the end of the sheet soft-deletes what the sheet
 * no longer has, through `SyncRun.finish` and its safety valve; a download whose end cannot be
 * verified deletes nothing and ends PARTIAL. Summary rows (`Total` …) are skipped and reported,
 * never stored. Any failure — a sheet that is not
 * shared, a 404, a 429 that outlasts the retries, a timeout, an empty sheet, a header row without
 * an email column, a connection that breaks — closes the run FAILED with a one-line reason and
 * deletes nothing, and counts towards the source's back-off (see `dueSheetSources`).
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/types.ts";
import { oneLine, PayloadError } from "../../errors.ts";
import type { SyncRun } from "../../sync/sync-run.ts";
import { runSlices, type SliceReader } from "../../sync/slice-runner.ts";
import { type RowsEnd, sheetRows, type SheetRowsOptions } from "./pull-rows.ts";
import { type MappedChunk, mappedChunks, SheetChangedError } from "../tabular/stream-into-run.ts";
import { findTabularKind, type TabularKind } from "../tabular/tabular-kind.ts";
import { markSheetPulled, type SheetSource } from "./sheet-sources.ts";
import { type PullSummary, pullSummary } from "./pull-summary.ts";
import {
  idleState,
  REPORTED_SUMMARY_ROWS,
  sheetPullCheckpointName,
  type SheetPullState,
} from "./pull-state.ts";

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

/**
 * Pulls one source now, or resumes its unfinished pull.
 *
 * @throws only when the database is unavailable (the run and checkpoint are kept for a resume);
 *   every other failure is a FAILED summary.
 * @example
 * const summary = await pullSheetSource(db, source, { kinds: tabularKinds(), budgetMs: 1000 });
 * if (!summary.done) { ... call again later ... }
 */
export async function pullSheetSource(
  db: Kysely<Database>,
  source: SheetSource,
  options: PullOptions,
): Promise<PullSummary> {
  const now = options.now ?? Date.now;
  const log = (line: string) => options.log?.(`${source.name}: ${line}`);
  let columns: string[] = [];
  // Set by `opened`; typed wide so the reads after the call are not narrowed to `null`.
  let run = null as SyncRun | null;
  let rowsAtOpen = 0;
  let rows = 0;
  let summaryRows = { count: 0, rowNumbers: [] as number[] };
  let reader = null as SliceReader<SheetPullState> | null;
  let lastProgress = now();

  const outcome = await runSlices<SheetPullState>(db, {
    checkpoint: sheetPullCheckpointName(source.id),
    runOf: (state) => ({
      table: findTabularKind(options.kinds, state.kind ?? source.kind).table,
      scope: state.url ?? source.url,
      full: true,
    }),
    async begin(saved, open) {
      const state = saved ?? idleState(null, null);
      if (state.runId && state.url && state.kind) {
        if (open && (state.url !== source.url || state.kind !== source.kind)) {
          await open.fail("the source's URL or kind changed during the pull; the new one is pulled instead");
        } else if (open) {
          log(`resuming after ${state.rowsDone} rows (slice ${state.slices + 1})`);
          return state;
        } else {
          log("the interrupted pull was closed meanwhile; reading the sheet again from the first row");
        }
      }
      // A new run; a sheet that changed between slices is read once more from the top in one.
      return {
        ...idleState(new Date(now()).toISOString(), state.lastSyncLogId, state.failures ?? 0),
        url: source.url,
        kind: source.kind,
      };
    },
    opened(state, opened) {
      run = opened;
      rowsAtOpen = state.rowsDone;
      rows = 0;
      summaryRows = { count: state.summaryRows ?? 0, rowNumbers: state.summaryRowNumbers ?? [] };
      return { ...state, slices: state.slices + 1 };
    },
    reader: (state, resumed) =>
      reader = sheetReader(
        source,
        options,
        resumed ? { rowsDone: state.rowsDone, tally: state.tally } : undefined,
        {
          onColumns(detected) {
            columns = detected;
            if (!resumed) log(`columns: ${detected.join(", ")}`);
          },
        },
      ),
    written(page) {
      rows = page.state.rowsDone - rowsAtOpen;
      summaryRows = { count: page.state.summaryRows, rowNumbers: page.state.summaryRowNumbers };
      options.onProgress?.({ source: source.name, rowsDone: page.state.rowsDone });
      if (now() - lastProgress >= 1000) {
        lastProgress = now();
        log(`${page.state.rowsDone} rows read`);
      }
    },
    failure(error, attempt) {
      const changed = error instanceof SheetChangedError;
      const reason = changed
        ? "the sheet changed while it was read in slices; nothing was deleted, and it is read again from the first row"
        : oneLine(error);
      const retry = changed && attempt === 1;
      log(retry ? reason : `FAILED: ${reason}`);
      return { reason, retry };
    },
    async closed(state, result, closedRun) {
      if (result.status !== "FAILED") await markSheetPulled(db, source.id, new Date(now()));
      if (summaryRows.count > 0) {
        log(
          `skipped ${summaryRows.count} summary row(s), not counted: rows ${
            summaryRows.rowNumbers.join(", ")
          }`,
        );
      }
      const failures = result.status === "FAILED" ? (state.failures ?? 0) + 1 : 0;
      return { keep: idleState(state.lastAttemptAt, closedRun.id, failures) };
    },
  }, {
    budgetMs: options.budgetMs,
    startedAt: options.startedAt,
    now,
    force: options.force,
    maxDeleteShare: options.maxDeleteShare,
  });

  switch (outcome.status) {
    case "busy": {
      const error = outcome.heldUntil === null
        ? "another pull took this source over"
        : "another pull of this source is running";
      return pullSummary(source, { status: "BUSY", done: false, resumes: true, error });
    }
    case "running": {
      log(`paused after ${outcome.state.rowsDone} rows; the next call resumes the pull`);
      const sofar = await run!.totals();
      const fields = { syncLogId: run!.id, done: false, resumes: true, columns, rows, summaryRows };
      return pullSummary(source, { status: "RUNNING", ...fields }, sofar);
    }
    case "failed": {
      const fields = { syncLogId: run!.id, columns, error: outcome.reason, summaryRows };
      return pullSummary(source, { status: "FAILED", ...fields }, outcome.result);
    }
    case "done": {
      const { result } = outcome;
      const unverified = reader?.unverified?.() ?? null;
      if (unverified) log(`PARTIAL: ${unverified}`);
      return pullSummary(source, {
        status: result.status,
        syncLogId: run!.id,
        columns,
        rows,
        summaryRows,
        ...(unverified ? { incomplete: unverified } : {}),
        ...(result.deleteRefused ? { deleteRefused: result.deleteRefused } : {}),
      }, result);
    }
  }
  // `begin` always has a run to open, so a pull is never idle.
  throw new Error(`pull of ${source.name}: unexpected outcome ${outcome.status}`);
}

/** The pages of a pull: the sheet's chunks past `resume`, mapped, each a page of the run. */
function sheetReader(
  source: SheetSource,
  options: PullOptions,
  resume: { rowsDone: number; tally: string } | undefined,
  hooks: { onColumns: (columns: string[]) => void },
): SliceReader<SheetPullState> {
  const mapperFor = findTabularKind(options.kinds, source.kind)
    .rowMapper({ scope: source.url, columnMap: source.columnMap, decimal: source.decimalMark });
  const end: RowsEnd = { unverified: null };
  const chunks = mappedChunks(sheetRows(source.url, options, end), mapperFor, { resume, ...hooks });
  // The chunk `ended` read ahead, for `next` to return.
  let ahead: IteratorResult<MappedChunk, void> | null = null;
  return {
    async next(state) {
      const chunk = ahead ?? await chunks.next();
      ahead = null;
      if (chunk.done) {
        if (state.rowsDone === 0) {
          throw new PayloadError(
            "the sheet is empty: it has a header row but no data rows; nothing was deleted",
          );
        }
        return { records: [], unmapped: [], state, done: true };
      }
      const { records, unmapped, rowsDone, tally, skipped = [] } = chunk.value;
      const summaryRows = (state.summaryRows ?? 0) + skipped.length;
      const summaryRowNumbers = [...(state.summaryRowNumbers ?? []), ...skipped.map((s) => s.rowNumber)]
        .slice(0, REPORTED_SUMMARY_ROWS);
      return {
        records,
        unmapped,
        state: { ...state, rowsDone, tally, summaryRows, summaryRowNumbers },
        done: false,
      };
    },
    async ended() {
      ahead = await chunks.next();
      return ahead.done === true;
    },
    unverified: () => end.unverified,
    async close() {
      await chunks.return(undefined);
    },
  };
}
