/**
 * SlicedWork: a backfill or pull read page by page into logged `SyncRun`s across many calls, with
 * where it stands kept in a claimed checkpoint. `runSlices` is the one driver of every such work:
 * it claims the checkpoint (another holder means `busy`), opens or resumes the run named in the
 * saved state, reads pages through the source's reader, writes each through the run and saves the
 * state after it (renewing the claim), stops when the call's page or time budget is spent (after
 * at least one page) and finishes the run when the reader says its set is read. A source keeps
 * only what is its own: which run to open, how a page is read and mapped, what it reports.
 *
 * A page that fails leaves the saved state and the RUNNING run as they were, so the next call
 * resumes at that page (unless the source closes the run FAILED through `failure`); a lost claim
 * (`ClaimLostError`) ends the call as `busy`, touching nothing the new holder now carries on.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import { isUnavailable } from "../db/client.ts";
import type { SourceRecord } from "./record.ts";
import type { RecordError } from "./normalize.ts";
import type { SourceTable } from "./source-table.ts";
import type { SyncResult } from "./engine.ts";
import type { SyncCounts } from "./sync-log.ts";
import { SyncRun, type SyncRunOptions } from "./sync-run.ts";
import {
  type CheckpointClaim,
  claimCheckpoint,
  ClaimLostError,
  forgetClaimed,
  releaseClaim,
  saveClaimed,
} from "./checkpoint-claim.ts";

/** What every sliced work's checkpoint holds at least: the `sync_logs` id of the run in progress. */
export interface SliceState {
  runId: string | null;
}

/** One page read from the source. */
export interface SlicePage<S> {
  records: readonly SourceRecord[];
  /** Objects the source returned but its mapper refused (counted as failed, see `SyncRun.write`). */
  unmapped: readonly RecordError[];
  /** The state once this page is written: where the next page starts. */
  state: S;
  /** This was the run's last page: its whole set has been read. */
  done: boolean;
}

/** Reads the pages of one run, in order. */
export interface SliceReader<S> {
  /** The page after `state`. */
  next(state: S): Promise<SlicePage<S>>;
  /**
   * Asked after a page not marked `done` is written and saved: whether the run's set has been read
   * after all. A streaming reader that learns it only by reading ahead answers here, so a call
   * whose last page spent the budget still finishes the run.
   */
  ended?(): Promise<boolean>;
  /**
   * Asked when the run's set has been read: why its end cannot be trusted (a download that ends
   * when the connection closes), or `null`. A reason closes the run PARTIAL with it and deletes
   * nothing.
   */
  unverified?(): string | null;
  /** Frees what the reader holds (an open download); called once the call stops reading. */
  close?(): Promise<void>;
}

/** What follows a closed run: another run to go on with in this call, or the state to keep
 * (`null` deletes the checkpoint) because the work is over for now. */
export type AfterRun<S> = { next: S } | { keep: S | null };

/** The source's side of a sliced work. */
export interface SlicedWork<S extends SliceState> {
  /** The checkpoint's name in `sync_checkpoints`. */
  checkpoint: string;
  /** The saved state, validated; default: taken as it is. */
  parse?(saved: unknown): S | null;
  /** The table and options of the run `state` is (or will be) in. */
  runOf(state: S): SyncRunOptions & { table: SourceTable };
  /**
   * The state this call starts from. `saved` is the checkpoint's (`null`: none), `open` the run it
   * names while that is still RUNNING. Return a state whose `runId` is `open.id` to resume that
   * run, or any other `runId` (`null`) to start a new run; `null` when no work is due.
   */
  begin(saved: S | null, open: SyncRun | null): Promise<S | null>;
  /** The run is open (`resumed`, or just started); returns the state to save before the first page. */
  opened?(state: S, run: SyncRun, resumed: boolean): S;
  /** The reader of the run `state` is in, from where `state` stands. */
  reader(state: S, resumed: boolean): SliceReader<S>;
  /** A page was written and the state after it saved. */
  written?(page: SlicePage<S>, counts: SyncCounts): void | Promise<void>;
  /**
   * A page failed to read or write. Return a one-line reason to close the run FAILED with (and
   * whether to start over at once in a new run, `attempt` counting from 1), or `null` to leave
   * the state and run for the next call and throw. Never asked about a lost claim or a database
   * that cannot be reached: those always leave the state and the run.
   */
  failure?(error: unknown, attempt: number): { reason: string; retry: boolean } | null;
  /** The run closed (finished complete, or FAILED through `failure`); what follows it. */
  closed(state: S, result: SyncResult, run: SyncRun): AfterRun<S> | Promise<AfterRun<S>>;
}

/** How much one call may do, and how a complete run soft-deletes. */
export interface SliceOptions {
  /** Pages this call may read (at least one). Default: no bound. */
  maxPages?: number;
  /** Start no further page once this many ms have passed since `startedAt` (at least one page). */
  budgetMs?: number;
  /** When the call started (ms, by `now`). Default: now. */
  startedAt?: number;
  now?: () => number;
  /** Soft-delete past the safety valve when a full run finishes. */
  force?: boolean;
  maxDeleteShare?: number;
  /** How long the claim lasts without a save. Default 600 s. */
  claimSeconds?: number;
}

/** How one call ended; `pages` counts the pages it wrote. */
export type SliceOutcome<S> =
  /** Another holder has the checkpoint (`heldUntil`), or took it over during this call (`null`). */
  | { status: "busy"; heldUntil: string | null }
  /** `begin` found no work due; `state` is the saved one. */
  | { status: "idle"; state: S | null }
  /** The budget is spent before the end; the next call resumes from `state`. */
  | { status: "running"; state: S; pages: number }
  /** The last run this call worked on closed: complete (`done`), or FAILED with `reason`. */
  | { status: "done"; state: S | null; pages: number; result: SyncResult }
  | { status: "failed"; state: S | null; pages: number; result: SyncResult; reason: string };

/** How long a claim lasts without a save: well over one page, well under a stuck call. */
const CLAIM_SECONDS = 600;

/**
 * Runs one call of a sliced work: until its budget is spent or the work is over.
 *
 * @throws what a page threw when the source does not close the run on it (UpstreamError, ...),
 *   or the database's own error: the state and the RUNNING run are left for the next call.
 * @example
 *   const outcome = await runSlices(db, work, { maxPages: 5, budgetMs: 1_000 });
 *   if (outcome.status === "busy") return { status: "busy" };
 */
export async function runSlices<S extends SliceState>(
  db: Kysely<Database>,
  work: SlicedWork<S>,
  options: SliceOptions = {},
): Promise<SliceOutcome<S>> {
  const seconds = options.claimSeconds ?? CLAIM_SECONDS;
  const claim = await claimCheckpoint<unknown>(db, work.checkpoint, seconds);
  if ("heldUntil" in claim) return { status: "busy", heldUntil: claim.heldUntil };
  try {
    return await drive(db, work, options, claim, seconds);
  } catch (error) {
    if (error instanceof ClaimLostError) return { status: "busy", heldUntil: null };
    throw error;
  } finally {
    await releaseClaim(db, claim).catch(() => {});
  }
}

async function drive<S extends SliceState>(
  db: Kysely<Database>,
  work: SlicedWork<S>,
  options: SliceOptions,
  claim: CheckpointClaim<unknown>,
  seconds: number,
): Promise<SliceOutcome<S>> {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  const save = (state: S) => saveClaimed(db, claim, state, seconds);
  const resume = (state: S) => SyncRun.resume(db, work.runOf(state).table, state.runId!, work.runOf(state));
  let pages = 0;
  // At least one page per call, whatever the budget says.
  const spent = () =>
    pages > 0 &&
    (pages >= (options.maxPages ?? Infinity) || now() - startedAt >= (options.budgetMs ?? Infinity));

  const saved = work.parse ? work.parse(claim.state) : claim.state as S | null;
  let open = saved?.runId ? await resume(saved) : null;
  let state = await work.begin(saved, open);
  if (state === null) return { status: "idle", state: saved };
  for (let attempt = 1;;) {
    if (spent()) return { status: "running", state, pages };
    const resumed = open !== null && state.runId === open.id;
    const run = resumed ? open! : await SyncRun.start(db, work.runOf(state).table, work.runOf(state));
    open = null;
    state = { ...state, runId: run.id };
    state = work.opened?.(state, run, resumed) ?? state;
    await save(state);

    const reader = work.reader(state, resumed);
    let closed: { result: SyncResult; reason?: string; retry?: boolean } | null = null;
    try {
      while (closed === null) {
        if (spent()) return { status: "running", state, pages };
        let done: boolean;
        try {
          const page = await reader.next(state);
          const counts = await run.write(page.records, page.unmapped);
          state = page.state;
          await save(state);
          pages++;
          await work.written?.(page, counts);
          done = page.done || (await reader.ended?.()) === true;
        } catch (error) {
          const failure = error instanceof ClaimLostError || isUnavailable(error)
            ? null
            : work.failure?.(error, attempt) ?? null;
          if (!failure) throw error;
          closed = { result: await run.fail(failure.reason), ...failure };
          break;
        }
        if (done) {
          const { force, maxDeleteShare } = options;
          const unverified = reader.unverified?.() ?? undefined;
          closed = { result: await run.finish({ complete: true, force, maxDeleteShare, unverified }) };
        }
      }
    } finally {
      await reader.close?.();
    }

    const after = await work.closed(state, closed.result, run);
    if ("next" in after) {
      state = after.next;
      await save(state);
      continue;
    }
    if (after.keep === null) await forgetClaimed(db, claim);
    else await save(after.keep);
    if (closed.retry) {
      const again = await work.begin(after.keep, null);
      if (again !== null) {
        state = again;
        attempt++;
        continue;
      }
    }
    return closed.reason === undefined
      ? { status: "done", state: after.keep, pages, result: closed.result }
      : { status: "failed", state: after.keep, pages, result: closed.result, reason: closed.reason };
  }
}
