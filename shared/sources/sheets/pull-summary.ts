/**
 * PullSummary: what one call did to one sheet source, as the CLI prints it and `sheets-pull`
 * answers it (snake_case there).
 */
import type { SyncStatus } from "../../db/types.ts";
import type { SheetKind } from "./sheet-source-input.ts";

/** What one pull of one source did in this invocation. */
export interface PullSummary {
  source: string;
  kind: SheetKind;
  /**
   * The run's status when it ended (SUCCESS, PARTIAL, FAILED); RUNNING when the budget ran out and
   * the next invocation resumes; BUSY when another invocation is pulling it; DEFERRED when this
   * invocation's budget was spent before it started.
   */
  status: SyncStatus | "BUSY" | "DEFERRED";
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  syncLogId: string | null;
  /** The pull finished (whatever its status). */
  done: boolean;
  /** A later invocation continues it. */
  resumes: boolean;
  /** How the columns were read, one line per field. */
  columns: string[];
  /** Data rows this invocation wrote or refused. */
  rows: number;
  /** The one-line reason of a FAILED (or BUSY, DEFERRED) pull. */
  error?: string;
  /** Why a pull that read to the end still deleted nothing (PARTIAL): its end could not be verified. */
  incomplete?: string;
  /** The first rows that failed, with their row numbers. */
  rowErrors: string[];
  /**
   * Summary rows (`Total`, `Subtotal`, a bare sum of the rows above) the pull skipped rather than
   * store as sales: how many, and the first row numbers.
   */
  summaryRows: { count: number; rowNumbers: number[] };
  deleteRefused?: { wouldDelete: number; live: number };
}

/** A run's counts as its `sync_logs` row or `SyncResult` holds them. */
export interface RunCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  errors: unknown;
}

/**
 * A summary of `source`: `fields` over a finished, empty default; the counts and first row
 * errors from `run` when given.
 */
export function pullSummary(
  source: { name: string; kind: SheetKind },
  fields: Partial<PullSummary> & Pick<PullSummary, "status">,
  run?: RunCounts,
): PullSummary {
  const errors = Array.isArray(run?.errors) ? (run.errors as { reason: string }[]) : [];
  return {
    source: source.name,
    kind: source.kind,
    created: run?.created ?? 0,
    updated: run?.updated ?? 0,
    unchanged: run?.unchanged ?? 0,
    deleted: run?.deleted ?? 0,
    failed: run?.failed ?? 0,
    syncLogId: null,
    done: true,
    resumes: false,
    columns: [],
    rows: 0,
    rowErrors: errors.slice(0, 5).map((e) => e.reason),
    summaryRows: { count: 0, rowNumbers: [] },
    ...fields,
  };
}
