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
import type { SyncRun } from "../../sync/sync-run.ts";
import type { SyncResult } from "../../sync/engine.ts";
import { runSlices, type SlicePage } from "../../sync/slice-runner.ts";
import { oneLine, PayloadError, UpstreamError } from "../../errors.ts";
import type { GhlApi, GhlContactsCursor } from "./ghl-api.ts";
import { ghlContactsToRecords } from "./map-ghl-event.ts";
import { ghlTable } from "./table.ts";

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
   * checkpoint (or took it over during this one); `up_to_date`: no run was due. */
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

/** The checkpoint's name for a location. */
export function ghlBackfillCheckpointName(locationId: string): string {
  return `ghl:backfill:${locationId}`;
}

/**
 * Runs (or resumes) the location's backfill for at most `maxPages` pages / `budgetMs` (at least
 * one page).
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
  const log = options.log ?? (() => {});
  const scope = options.locationId;
  const slice: GhlBackfillSlice = {
    status: "running",
    syncLogId: null,
    full: options.full ?? false,
    pages: 0,
    contacts: 0,
    resumedFrom: null,
  };
  // The line `opened` logs, once the run (and so its id) is known.
  let opening = (_runId: string) => "";
  let total: number | undefined;

  const outcome = await runSlices<GhlBackfillState>(db, {
    checkpoint: ghlBackfillCheckpointName(scope),
    runOf: (state) => ({ table: ghlTable, scope, full: state.full }),
    async begin(saved, open) {
      const plan = await planRun(saved, open, options, now);
      if (plan) opening = plan.opening;
      return plan?.state ?? null;
    },
    opened(state, run) {
      log(opening(run.id));
      Object.assign(slice, { syncLogId: run.id, full: state.full, resumedFrom: state.cursor });
      return state;
    },
    reader: () => ({
      async next(state): Promise<SlicePage<GhlBackfillState>> {
        let page;
        try {
          page = await options.api.listContactsPage({
            locationId: scope,
            limit: options.pageSize,
            ...state.cursor,
          });
        } catch (error) {
          throw stoppedAt(error, state);
        }
        total = page.total;
        const { records, errors } = ghlContactsToRecords(page.contacts, scope);
        for (const error of errors) log(`page ${state.pages + 1}: unreadable ${error.reason}`);
        const contacts = state.contacts + page.contacts.length;
        const next = { ...state, cursor: page.next, pages: state.pages + 1, contacts };
        return { records, unmapped: errors, state: next, done: page.next === null };
      },
    }),
    written({ state, records, unmapped }, counts) {
      slice.pages++;
      slice.contacts += records.length + unmapped.length;
      const of = total !== undefined ? ` of ${total}` : "";
      log(
        `page ${state.pages}: ${state.contacts}${of} contacts read; this page ${counts.created} created, ` +
          `${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.failed} failed`,
      );
    },
    // A contact we could not read still counts as seen (SyncRun.write), so its row survives.
    closed: (state, _result, run) => ({
      keep: { ...emptyState(state.full), completedAt: new Date(now()).toISOString(), lastSyncLogId: run.id },
    }),
  }, { maxPages: options.maxPages, budgetMs: options.budgetMs, now, force: options.force });

  const idle = (status: "busy" | "up_to_date", syncLogId: string | null): GhlBackfillSlice => ({
    status,
    syncLogId,
    full: options.full ?? false,
    pages: 0,
    contacts: 0,
    resumedFrom: null,
  });
  switch (outcome.status) {
    case "busy":
      log(
        outcome.heldUntil === null
          ? `another backfill of ${scope} took the checkpoint over`
          : `another backfill of ${scope} holds the checkpoint until ${outcome.heldUntil}`,
      );
      return idle("busy", null);
    case "idle":
      return idle("up_to_date", outcome.state?.lastSyncLogId ?? null);
    case "running":
      log(`paused after ${outcome.state.pages} pages; the next call resumes from the checkpoint`);
      return slice;
    default:
      // A GHL backfill never closes its run FAILED: a failed page throws and leaves it RUNNING.
      return { ...slice, status: "done", result: outcome.result };
  }
}

/**
 * The state this invocation works from, and the line it logs once its run is open; `null` when no
 * run is due. The run in progress (`open`) is resumed unless `restart` or an upgrade to full asks
 * otherwise. A full run continues as full even when not asked, because it alone knows the keys it
 * has seen.
 */
async function planRun(
  saved: GhlBackfillState | null,
  open: SyncRun | null,
  options: GhlBackfillOptions,
  now: () => number,
): Promise<{ state: GhlBackfillState; opening: (runId: string) => string } | null> {
  const wantFull = options.full ?? false;
  const startedAt = new Date(now()).toISOString();
  if (saved?.runId) {
    const upgrade = wantFull && !saved.full;
    if (open && !options.restart && !upgrade) {
      const full = saved.full ? "full " : "";
      const at = `after page ${saved.pages} (${saved.contacts} contacts)`;
      return { state: { ...saved }, opening: () => `resuming ${full}run ${saved.runId} ${at}` };
    }
    if (open) await open.fail(upgrade ? "superseded by a full run" : "restarted from the first page");
    // A run closed meanwhile (its lease ran out) lost the keys a full run needs, so a full run
    // starts over; a plain run just carries on from the cursor under a new log.
    const keepCursor = !open && !saved.full && !wantFull && !options.restart;
    const from = keepCursor ? "continuing from its cursor" : "starting from the first page";
    return {
      state: {
        ...emptyState(wantFull || saved.full),
        ...(keepCursor ? { cursor: saved.cursor } : {}),
        startedAt,
        completedAt: saved.completedAt,
        lastSyncLogId: saved.lastSyncLogId,
      },
      opening: (runId) => `run ${saved.runId} is closed; ${from} as run ${runId}`,
    };
  }
  const hours = options.minHoursBetweenRuns;
  if (
    hours !== undefined && saved?.completedAt && now() - Date.parse(saved.completedAt) < hours * 3_600_000
  ) {
    options.log?.(`the last run finished at ${saved.completedAt}, within ${hours} h; nothing to do`);
    return null;
  }
  return {
    state: {
      ...emptyState(wantFull),
      startedAt,
      completedAt: saved?.completedAt ?? null,
      lastSyncLogId: saved?.lastSyncLogId ?? null,
    },
    opening: (runId) => `starting ${wantFull ? "full " : ""}run ${runId} for location ${options.locationId}`,
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
