/**
 * SheetPullState: where a source's pull stands between invocations, kept in its checkpoint
 * `sheets:pull:<source id>`: the run in progress and how far it has read, and when the source was
 * last attempted and how many pulls in a row failed (so a failing sheet waits for its next
 * schedule, then longer, instead of going first on every tick).
 */
import type { SheetKind } from "./sheet-source-input.ts";

/** What a pull's checkpoint holds between invocations. */
export interface SheetPullState {
  /** The run in progress; `null` between pulls. */
  runId: string | null;
  /** The URL and kind the run reads (a change of either starts a new run). */
  url: string | null;
  kind: SheetKind | null;
  /** Data rows written by earlier slices, and their tally (see `KeyTally`). */
  rowsDone: number;
  tally: string;
  /** Invocations the run in progress has taken so far. */
  slices: number;
  /** Summary rows (`Total` …) the run in progress skipped, and the first of their row numbers. */
  summaryRows: number;
  summaryRowNumbers: number[];
  /** Pulls in a row that ended FAILED (0 after any other end): a failing source backs off. */
  failures: number;
  /** When the last pull started, successful or not: a failing sheet waits for its next schedule. */
  lastAttemptAt: string | null;
  lastSyncLogId: string | null;
}

/** What every pull checkpoint's name starts with. */
export const SHEET_PULL_CHECKPOINT_PREFIX = "sheets:pull:";

/** The checkpoint name of a source's pull. */
export function sheetPullCheckpointName(sourceId: string): string {
  return `${SHEET_PULL_CHECKPOINT_PREFIX}${sourceId}`;
}

/** The state between pulls. */
export function idleState(
  lastAttemptAt: string | null,
  lastSyncLogId: string | null,
  failures = 0,
): SheetPullState {
  return {
    runId: null,
    url: null,
    kind: null,
    rowsDone: 0,
    tally: "",
    slices: 0,
    summaryRows: 0,
    summaryRowNumbers: [],
    failures,
    lastAttemptAt,
    lastSyncLogId,
  };
}

/** How many summary row numbers a pull keeps to report. */
export const REPORTED_SUMMARY_ROWS = 20;
