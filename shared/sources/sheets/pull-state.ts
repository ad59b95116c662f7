/**
 * SheetPullState: where a source's pull stands between invocations, kept in its checkpoint
 * `sheets:pull:<source id>`: the run in progress and how far it has read, and when the source was
 * last attempted (so a failing sheet waits for its next schedule instead of every tick).
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
export function idleState(lastAttemptAt: string | null, lastSyncLogId: string | null): SheetPullState {
  return {
    runId: null,
    url: null,
    kind: null,
    rowsDone: 0,
    tally: "",
    slices: 0,
    lastAttemptAt,
    lastSyncLogId,
  };
}
