/**
 * runWhopBackfill: reads Whop's `/payments`, then `/memberships`, page by page into `whop_data`,
 * one logged `SyncRun` per resource (scope `payment`, `membership`). Where it stands lives in the
 * checkpoint `whop:backfill`, saved after every page with the run's id, so an interrupted backfill
 * (a crash, a failed page, the end of an edge slice) resumes at the next page in the same run.
 *
 * A failed page leaves the checkpoint and the run as they were: the run stays RUNNING (its lease
 * lets the next call resume it and its counts keep accumulating), and nothing is soft-deleted,
 * because only a resource read to its last page finishes its run as complete. The slices are
 * driven by `runSlices`, so a call that finds another holding the checkpoint answers `busy`.
 */
import type { Kysely } from "kysely";
import type { Database, SyncStatus } from "../../db/types.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import { runSlices, type SlicePage } from "../../sync/slice-runner.ts";
import { oneLine } from "../../errors.ts";
import type { WhopApi, WhopListResource } from "./whop-api.ts";
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
  /** Set when another call holds the backfill's checkpoint: this one stood back. */
  busy?: true;
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
  const emit = options.onProgress ?? (() => {});
  const result: WhopBackfillResult = {
    done: false,
    resource: null,
    pages: 0,
    records: 0,
    syncLogId: null,
    finished: [],
  };
  // What the next "start" event says: set when the call begins, spent by the first run it opens.
  let start: { resumed: boolean; note?: string } = { resumed: false };

  const outcome = await runSlices<WhopBackfillState>(db, {
    checkpoint: WHOP_BACKFILL_CHECKPOINT,
    parse: parseBackfillState,
    runOf: (state) => ({ table: whopTable, scope: KIND[state.resource], full: state.full }),
    async begin(saved, open) {
      if (saved && options.full && !saved.full) {
        // Rows seen before this point were not recorded as seen, so the full run must start over.
        await open?.fail("superseded by a full backfill");
        start = {
          resumed: false,
          note: "an unfinished incremental backfill was superseded by this full one",
        };
        return newBackfillState(true);
      }
      if (!saved) return newBackfillState(options.full === true);
      start = { resumed: true };
      if (!saved.runId || open) return saved;
      // The run was closed as abandoned (its lease ran out). A full run's keys seen so far went with
      // it, so it reads its resource again from the first page; an incremental one just goes on.
      const resource = saved.resource;
      if (saved.full) {
        const note =
          `the interrupted ${resource} run was closed; reading ${resource} again from the first page`;
        start = { resumed: false, note };
        return { ...saved, runId: null, after: null, pages: 0, records: 0 };
      }
      const note = `the interrupted ${resource} run was closed; continuing at the saved cursor in a new run`;
      start = { resumed: true, note };
      return { ...saved, runId: null };
    },
    opened(state) {
      result.resource = state.resource;
      result.syncLogId = state.runId;
      emit({ type: "start", state, ...start });
      start = { resumed: false };
      return state;
    },
    reader: () => ({ next: (state) => readPage(api, state, options.pageSize ?? DEFAULT_WHOP_PAGE_SIZE) }),
    written(page) {
      result.pages++;
      result.records += page.records.length + page.unmapped.length;
      emit({ type: "page", state: page.state });
    },
    closed(state, sync) {
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
      result.finished.push(finished);
      emit({ type: "finish", result: finished });
      const next = WHOP_BACKFILL_RESOURCES[WHOP_BACKFILL_RESOURCES.indexOf(state.resource) + 1];
      if (!next) return { keep: null };
      return { next: { ...state, resource: next, after: null, runId: null, pages: 0, records: 0 } };
    },
  }, {
    maxPages: options.maxPages,
    budgetMs: options.budgetMs,
    now: options.now,
    force: options.force,
    maxDeleteShare: options.maxDeleteShare,
  });
  if (outcome.status === "busy") return { ...result, busy: true };
  return { ...result, done: outcome.status === "done" };
}

/** The page after `state`'s cursor, as records; an object the mapper refuses is reported, never fatal. */
async function readPage(
  api: WhopApi,
  state: WhopBackfillState,
  first: number,
): Promise<SlicePage<WhopBackfillState>> {
  const page = await api.listPage(state.resource, { after: state.after, first });
  const kind = KIND[state.resource];
  const records: SourceRecord[] = [];
  const unmapped: RecordError[] = [];
  for (const object of page.data) {
    try {
      records.push(whopObjectToRecord(kind, object));
    } catch (error) {
      const id = (object as { id?: unknown } | null)?.id;
      unmapped.push({ key: typeof id === "string" && id !== "" ? id : null, reason: oneLine(error) });
    }
  }
  return {
    records,
    unmapped,
    state: {
      ...state,
      after: page.endCursor ?? state.after,
      pages: state.pages + 1,
      records: state.records + page.data.length,
    },
    done: !page.hasNextPage,
  };
}
