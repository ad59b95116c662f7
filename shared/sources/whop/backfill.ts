/**
 * runWhopBackfill: reads Whop's `/payments`, then `/memberships`, page by page into `whop_data`,
 * one logged `SyncRun` per resource (scope `payment`, `membership`). Where it stands lives in the
 * checkpoint `whop:backfill`, saved after every page with the run's id, so an interrupted backfill
 * (a crash, a failed page, the end of an edge slice) resumes at the next page in the same run.
 *
 * A failed page leaves the checkpoint and the run as they were: the run stays RUNNING (its lease
 * lets the next call resume it and its counts keep accumulating), and nothing is soft-deleted,
 * because only a resource read to its last page finishes its run as complete.
 */
import { type Kysely, sql } from "kysely";
import type { Database, SyncStatus } from "../../db/types.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import { SyncRun } from "../../sync/sync-run.ts";
import { clearCheckpoint, loadCheckpoint, saveCheckpoint } from "../../sync/checkpoint.ts";
import { oneLine } from "../../errors.ts";
import type { WhopApi, WhopListResource, WhopPage } from "./whop-api.ts";
import { type WhopObjectKind, whopObjectToRecord } from "./map-whop-event.ts";
import { whopTable } from "./table.ts";
import {
  newBackfillState,
  parseBackfillState,
  WHOP_BACKFILL_CHECKPOINT,
  WHOP_BACKFILL_RESOURCES,
  type WhopBackfillState,
} from "./backfill-state.ts";

export { WHOP_BACKFILL_CHECKPOINT, WHOP_BACKFILL_RESOURCES, type WhopBackfillState };

/** Objects per page. Whop's maximum `first` is undocumented (sources.md 2.4); 50 stays well under. */
export const DEFAULT_WHOP_PAGE_SIZE = 50;

const KIND: Record<WhopListResource, WhopObjectKind> = { payments: "payment", memberships: "membership" };

/** How one resource's run ended. */
export interface WhopResourceResult {
  resource: WhopListResource;
  status: SyncStatus;
  pages: number;
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  syncLogId: string;
  /** Set when the safety valve refused the soft delete (rerun with `force`). */
  deleteRefused?: { wouldDelete: number; live: number };
}

/** What one call did. */
export interface WhopBackfillResult {
  /** True when the backfill read its last page (the checkpoint is cleared). */
  done: boolean;
  /** The resource worked on last. */
  resource: WhopListResource | null;
  /** Pages and objects this call read. */
  pages: number;
  records: number;
  /** The run of `resource`. */
  syncLogId: string | null;
  /** Runs this call finished. */
  finished: WhopResourceResult[];
}

/** Progress, for a CLI to print. */
export type WhopBackfillEvent =
  | { type: "start"; state: WhopBackfillState; resumed: boolean; note?: string }
  | { type: "page"; state: WhopBackfillState }
  | { type: "finish"; result: WhopResourceResult };

/** Options of {@link runWhopBackfill}. */
export interface WhopBackfillOptions {
  /** Start a full backfill (an unfinished one resumes; a non-full one is superseded by a full one). */
  full?: boolean;
  /** Soft-delete past the safety valve when a full run finishes. */
  force?: boolean;
  maxDeleteShare?: number;
  pageSize?: number;
  /** Stop after this many pages (an edge slice). Default: read to the end. */
  maxPages?: number;
  /** Start no further page once this many ms have passed (at least one page is read). */
  budgetMs?: number;
  onProgress?: (event: WhopBackfillEvent) => void;
  now?: () => number;
}

/**
 * Runs (or resumes) the backfill until it is done or the call's page or time budget is spent.
 *
 * @throws UpstreamError when a page still fails after WhopApi's retries; the checkpoint and the
 *   RUNNING run are left for the next call, and nothing is soft-deleted.
 * @example
 * const result = await runWhopBackfill(db, WhopApi.fromEnv(), { full: true, onProgress: print });
 */
export async function runWhopBackfill(
  db: Kysely<Database>,
  api: WhopApi,
  options: WhopBackfillOptions = {},
): Promise<WhopBackfillResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const emit = options.onProgress ?? (() => {});
  const result: WhopBackfillResult = {
    done: false,
    resource: null,
    pages: 0,
    records: 0,
    syncLogId: null,
    finished: [],
  };
  let backfillId: string | null = null;
  for (;;) {
    if (result.pages >= (options.maxPages ?? Infinity)) return result;
    if (result.pages > 0 && now() - started >= (options.budgetMs ?? Infinity)) return result;

    const prepared = await locked(db, (trx) => prepare(trx, options, backfillId));
    prepared.events.forEach(emit);
    const state = prepared.state;
    if (!state) return { ...result, done: true };
    backfillId = state.id;
    result.resource = state.resource;
    result.syncLogId = state.runId;

    const page = await api.listPage(state.resource, {
      after: state.after,
      first: options.pageSize ?? DEFAULT_WHOP_PAGE_SIZE,
    });
    const run = await SyncRun.resume(db, whopTable, state.runId!, runOptions(state));
    if (!run) continue; // closed meanwhile (its lease ran out): prepare() restarts or continues it
    const { records, unmapped } = mapPage(KIND[state.resource], page.data);
    await run.write(records, unmapped);

    const advanced = await locked(db, (trx) => advance(trx, state, page, options));
    if (!advanced) continue; // another caller moved the checkpoint first; the rows are the same
    result.pages++;
    result.records += page.data.length;
    emit({ type: "page", state: advanced.state });
    if (advanced.finished) {
      result.finished.push(advanced.finished);
      emit({ type: "finish", result: advanced.finished });
    }
    if (advanced.done) return { ...result, done: true };
  }
}

/** Every change of the checkpoint happens under this lock, so overlapping callers take turns. */
async function locked<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return await db.transaction().execute(async (trx) => {
    // A transaction-scoped lock, held only for these few statements (never across a Whop request),
    // so it also works through a transaction pooler and never blocks the embedded database long.
    await sql`select pg_advisory_xact_lock(hashtext(${WHOP_BACKFILL_CHECKPOINT}))`.execute(trx);
    return await work(trx);
  });
}

/**
 * The state to read the next page with, its run started or resumed. `null` when there is nothing
 * to do: a continuing call (`backfillId` set) whose backfill finished.
 */
async function prepare(
  db: Kysely<Database>,
  options: WhopBackfillOptions,
  backfillId: string | null,
): Promise<{ state: WhopBackfillState | null; events: WhopBackfillEvent[] }> {
  const events: WhopBackfillEvent[] = [];
  const saved = parseBackfillState(await loadCheckpoint<unknown>(db, WHOP_BACKFILL_CHECKPOINT));
  let state: WhopBackfillState;
  let note: string | undefined;
  let resumed = false;
  if (backfillId !== null) {
    if (!saved || saved.id !== backfillId) return { state: null, events };
    state = saved;
  } else if (saved && options.full && !saved.full) {
    // Rows seen before this point were not recorded as seen, so the full run must start over.
    if (saved.runId) {
      await (await SyncRun.resume(db, whopTable, saved.runId, runOptions(saved)))
        ?.fail("superseded by a full backfill");
    }
    state = newBackfillState(true);
    note = "an unfinished incremental backfill was superseded by this full one";
  } else if (saved) {
    state = saved;
    resumed = true;
  } else {
    state = newBackfillState(options.full === true);
  }

  if (state.runId && !(await SyncRun.resume(db, whopTable, state.runId, runOptions(state)))) {
    // The run was closed as abandoned (its lease ran out). A full run's keys seen so far went with
    // it, so it reads its resource again from the first page; an incremental one just goes on.
    if (state.full) {
      note =
        `the interrupted ${state.resource} run was closed; reading ${state.resource} again from the first page`;
      state = { ...state, after: null, pages: 0, records: 0 };
      resumed = false;
    } else {
      note = `the interrupted ${state.resource} run was closed; continuing at the saved cursor in a new run`;
    }
    state = { ...state, runId: null };
  }
  if (!state.runId) {
    const run = await SyncRun.start(db, whopTable, runOptions(state));
    state = { ...state, runId: run.id };
    events.push({ type: "start", state, resumed, note });
  } else if (backfillId === null) {
    events.push({ type: "start", state, resumed: true, note });
  }
  await saveCheckpoint(db, WHOP_BACKFILL_CHECKPOINT, state);
  return { state, events };
}

/**
 * Moves the checkpoint past a written page; on the resource's last page, finishes its run (the
 * soft delete of a full run happens here, exactly once) and moves on to the next resource.
 * `null` when the checkpoint is no longer where this page started: someone else moved it.
 */
async function advance(
  db: Kysely<Database>,
  from: WhopBackfillState,
  page: WhopPage,
  options: WhopBackfillOptions,
): Promise<{ state: WhopBackfillState; finished?: WhopResourceResult; done?: boolean } | null> {
  const current = parseBackfillState(await loadCheckpoint<unknown>(db, WHOP_BACKFILL_CHECKPOINT));
  if (
    !current || current.id !== from.id || current.resource !== from.resource ||
    current.runId !== from.runId || current.after !== from.after
  ) return null;
  const state: WhopBackfillState = {
    ...current,
    after: page.endCursor ?? current.after,
    pages: current.pages + 1,
    records: current.records + page.data.length,
  };
  if (page.hasNextPage) {
    await saveCheckpoint(db, WHOP_BACKFILL_CHECKPOINT, state);
    return { state };
  }
  const run = await SyncRun.resume(db, whopTable, state.runId!, runOptions(state));
  if (!run) return null; // closed as abandoned meanwhile; prepare() deals with it
  const sync = await run.finish({
    complete: true,
    force: options.force,
    maxDeleteShare: options.maxDeleteShare,
  });
  const finished: WhopResourceResult = {
    resource: state.resource,
    status: sync.status,
    pages: state.pages,
    records: state.records,
    created: sync.created,
    updated: sync.updated,
    unchanged: sync.unchanged,
    deleted: sync.deleted,
    failed: sync.failed,
    syncLogId: state.runId!,
    ...(sync.deleteRefused ? { deleteRefused: sync.deleteRefused } : {}),
  };
  const next = WHOP_BACKFILL_RESOURCES[WHOP_BACKFILL_RESOURCES.indexOf(state.resource) + 1];
  if (!next) {
    await clearCheckpoint(db, WHOP_BACKFILL_CHECKPOINT);
    return { state, finished, done: true };
  }
  await saveCheckpoint(db, WHOP_BACKFILL_CHECKPOINT, {
    ...state,
    resource: next,
    after: null,
    runId: null,
    pages: 0,
    records: 0,
  });
  return { state, finished };
}

/** The page's objects as records; an object the mapper refuses is reported, never fatal. */
function mapPage(kind: WhopObjectKind, objects: readonly unknown[]) {
  const records: SourceRecord[] = [];
  const unmapped: RecordError[] = [];
  for (const object of objects) {
    try {
      records.push(whopObjectToRecord(kind, object));
    } catch (error) {
      const id = (object as { id?: unknown } | null)?.id;
      unmapped.push({ key: typeof id === "string" && id !== "" ? id : null, reason: oneLine(error) });
    }
  }
  return { records, unmapped };
}

function runOptions(state: WhopBackfillState) {
  return { scope: KIND[state.resource], full: state.full };
}
