/**
 * GhlBackfill: reads every contact of a HighLevel location through `GET /contacts/` into
 * `ghl_data`, as one logged `SyncRun` that may span many invocations. After every page the cursor
 * and the run's id are saved in `sync_checkpoints` (`ghl:backfill:<locationId>`), so a failure or
 * an invocation's time budget costs at most one page: the next call resumes where it stopped.
 *
 * A full run (`full`) soft-deletes the contacts HighLevel no longer lists, but only once it has read
 * the whole location, and within the engine's safety valve. Webhooks are best-effort (HighLevel
 * retries only 429s and has no replay API), so a nightly full run is the reconcile.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/types.ts";
import { SyncRun } from "../../sync/sync-run.ts";
import type { SyncResult } from "../../sync/engine.ts";
import { oneLine, PayloadError, UpstreamError } from "../../errors.ts";
import type { GhlApi, GhlContactsCursor } from "./ghl-api.ts";
import { ghlContactsToRecords } from "./map-ghl-event.ts";
import { ghlTable } from "./table.ts";
import {
  type CheckpointClaim,
  claimCheckpoint,
  releaseClaim,
  saveClaimed,
} from "../../sync/checkpoint-claim.ts";

/** What the checkpoint holds between invocations. */
export interface GhlBackfillState {
  /** The `sync_logs` id of the run in progress; `null` between runs. */
  runId: string | null;
  full: boolean;
  /** Where the next page starts; `null` at the start of a run. */
  cursor: GhlContactsCursor | null;
  /** Pages and contacts read so far by the run in progress. */
  pages: number;
  contacts: number;
  startedAt: string | null;
  /** When the last run finished, and its log. */
  completedAt: string | null;
  lastSyncLogId: string | null;
}

/** Options of {@link runGhlBackfillSlice}. */
export interface GhlBackfillOptions {
  locationId: string;
  api: GhlApi;
  /** Start a full run (soft-deleting what HighLevel no longer has) when none is in progress. */
  full?: boolean;
  /** Soft-delete past the safety valve. */
  force?: boolean;
  /** Abandon the run in progress (its log is closed as FAILED) and start from the first page. */
  restart?: boolean;
  /** Pages this invocation may read (default: no bound). */
  maxPages?: number;
  /** Milliseconds after which this invocation stops before its next page (default: no bound). */
  budgetMs?: number;
  /** Contacts per page (at most 100). */
  pageSize?: number;
  /** With no run in progress, start one only if the last finished longer ago than this. */
  minHoursBetweenRuns?: number;
  log?: (line: string) => void;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** What one invocation did. */
export interface GhlBackfillSlice {
  /** `running`: more pages remain; `done`: the run finished; `busy`: another invocation holds the
   * checkpoint; `up_to_date`: no run was due. */
  status: "running" | "done" | "busy" | "up_to_date";
  syncLogId: string | null;
  full: boolean;
  /** Pages and contacts this invocation read. */
  pages: number;
  contacts: number;
  /** The cursor this invocation started from (`null` at a run's first page). */
  resumedFrom: GhlContactsCursor | null;
  /** The run's closing result, when it finished. */
  result?: SyncResult;
}

/** How long a claim on the checkpoint lasts; every saved page renews it. */
const CLAIM_SECONDS = 600;

/** The checkpoint's name for a location. */
export function ghlBackfillCheckpointName(locationId: string): string {
  return `ghl:backfill:${locationId}`;
}

/**
 * Runs (or resumes) the location's backfill for at most `maxPages` pages / `budgetMs`.
 *
 * On a failure the run stays open and the checkpoint keeps the last page written: nothing is
 * soft-deleted, and the next call resumes from that cursor.
 *
 * @throws UpstreamError (HighLevel failed past its retries) or the database's error, with the
 *   page it stopped at in the message.
 * @example
 *   let slice;
 *   do slice = await runGhlBackfillSlice(db, { locationId, api, maxPages: 20 });
 *   while (slice.status === "running");
 */
export async function runGhlBackfillSlice(
  db: Kysely<Database>,
  options: GhlBackfillOptions,
): Promise<GhlBackfillSlice> {
  const now = options.now ?? Date.now;
  const started = now();
  const log = options.log ?? (() => {});
  const name = ghlBackfillCheckpointName(options.locationId);
  const claim = await claimCheckpoint<GhlBackfillState>(db, name, CLAIM_SECONDS);
  const idle = (status: "busy" | "up_to_date", syncLogId: string | null): GhlBackfillSlice => ({
    status,
    syncLogId,
    full: options.full ?? false,
    pages: 0,
    contacts: 0,
    resumedFrom: null,
  });
  if ("heldUntil" in claim) {
    log(`another backfill of ${options.locationId} holds the checkpoint until ${claim.heldUntil}`);
    return idle("busy", null);
  }

  const save = (state: GhlBackfillState) => saveClaimed(db, claim, state, CLAIM_SECONDS);
  try {
    const opened = await openRun(db, claim, options, log, now);
    if (opened === null) return idle("up_to_date", claim.state?.lastSyncLogId ?? null);
    const { run, state } = opened;
    await save(state);
    const slice: GhlBackfillSlice = {
      status: "running",
      syncLogId: run.id,
      full: state.full,
      pages: 0,
      contacts: 0,
      resumedFrom: state.cursor,
    };

    for (;;) {
      if (
        slice.pages >= (options.maxPages ?? Infinity) || now() - started >= (options.budgetMs ?? Infinity)
      ) {
        log(`paused after ${state.pages} pages; the next call resumes from the checkpoint`);
        return slice;
      }
      let page;
      try {
        page = await options.api.listContactsPage({
          locationId: options.locationId,
          limit: options.pageSize,
          ...state.cursor,
        });
      } catch (error) {
        throw stoppedAt(error, state);
      }
      const { records, errors } = ghlContactsToRecords(page.contacts, options.locationId);
      for (const error of errors) log(`page ${state.pages + 1}: unreadable ${error.reason}`);
      const counts = await run.write(records, errors);
      state.cursor = page.next;
      state.pages++;
      state.contacts += page.contacts.length;
      slice.pages++;
      slice.contacts += page.contacts.length;
      await save(state);
      const of = page.total !== undefined ? ` of ${page.total}` : "";
      log(
        `page ${state.pages}: ${state.contacts}${of} contacts read; this page ${counts.created} created, ` +
          `${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.failed} failed`,
      );
      if (page.next === null) break;
    }

    // A contact we could not read still counts as seen (SyncRun.write), so its row survives.
    const result = await run.finish({ complete: true, force: options.force });
    await save({
      ...emptyState(state.full),
      completedAt: new Date(now()).toISOString(),
      lastSyncLogId: run.id,
    });
    return { ...slice, status: "done", result };
  } finally {
    await releaseClaim(db, claim).catch(() => {});
  }
}

/**
 * The run this invocation continues or starts, with its state; `null` when no run is due.
 * A full run continues as full even when not asked, because it alone knows the keys it has seen.
 */
async function openRun(
  db: Kysely<Database>,
  claim: CheckpointClaim<GhlBackfillState>,
  options: GhlBackfillOptions,
  log: (line: string) => void,
  now: () => number,
): Promise<{ run: SyncRun; state: GhlBackfillState } | null> {
  const saved = claim.state;
  const scope = options.locationId;
  const wantFull = options.full ?? false;
  if (saved?.runId) {
    const previous = await SyncRun.resume(db, ghlTable, saved.runId, { scope, full: saved.full });
    const upgrade = wantFull && !saved.full;
    if (previous && !options.restart && !upgrade) {
      log(
        `resuming ${
          saved.full ? "full " : ""
        }run ${saved.runId} after page ${saved.pages} (${saved.contacts} contacts)`,
      );
      return { run: previous, state: { ...saved } };
    }
    if (previous) {
      await previous.fail(upgrade ? "superseded by a full run" : "restarted from the first page");
    }
    // A run closed meanwhile (its lease ran out) lost the keys a full run needs, so a full run
    // starts over; a plain run just carries on from the cursor under a new log.
    const keepCursor = !previous && !saved.full && !wantFull && !options.restart;
    const run = await SyncRun.start(db, ghlTable, { scope, full: wantFull || saved.full });
    log(
      `run ${saved.runId} is closed; ${
        keepCursor ? "continuing from its cursor" : "starting from the first page"
      } as run ${run.id}`,
    );
    return {
      run,
      state: {
        ...emptyState(wantFull || saved.full),
        ...(keepCursor ? { cursor: saved.cursor } : {}),
        runId: run.id,
        startedAt: new Date(now()).toISOString(),
        completedAt: saved.completedAt,
        lastSyncLogId: saved.lastSyncLogId,
      },
    };
  }
  const hours = options.minHoursBetweenRuns;
  if (
    hours !== undefined && saved?.completedAt && now() - Date.parse(saved.completedAt) < hours * 3_600_000
  ) {
    log(`the last run finished at ${saved.completedAt}, within ${hours} h; nothing to do`);
    return null;
  }
  const run = await SyncRun.start(db, ghlTable, { scope, full: wantFull });
  log(`starting ${wantFull ? "full " : ""}run ${run.id} for location ${scope}`);
  return {
    run,
    state: {
      ...emptyState(wantFull),
      runId: run.id,
      startedAt: new Date(now()).toISOString(),
      completedAt: saved?.completedAt ?? null,
      lastSyncLogId: saved?.lastSyncLogId ?? null,
    },
  };
}

function emptyState(full: boolean): GhlBackfillState {
  return {
    runId: null,
    full,
    cursor: null,
    pages: 0,
    contacts: 0,
    startedAt: null,
    completedAt: null,
    lastSyncLogId: null,
  };
}

/** The failure in one line, with where the run stopped and what the next call will do. */
function stoppedAt(error: unknown, state: GhlBackfillState): Error {
  const where = `stopped after page ${state.pages} (${state.contacts} contacts); nothing was soft-deleted ` +
    `and the next run resumes from the checkpoint`;
  if (error instanceof UpstreamError) return new UpstreamError(`${oneLine(error)}; ${where}`, error.status);
  if (error instanceof PayloadError) return new PayloadError(`${oneLine(error)}; ${where}`, error.issues);
  return error instanceof Error ? error : new Error(oneLine(error));
}
