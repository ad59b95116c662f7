/**
 * createWhopBackfillApp: the Hono app behind `whop-backfill`. Each POST runs one bounded slice of
 * the Whop backfill (a few pages, about a second of work, well inside Edge's 2 s CPU budget),
 * saves the checkpoint, and answers where it stands; the next call resumes there. A scheduler
 * calls it until it answers `done: true`, and a later call starts the next backfill.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { Kysely } from "kysely";
import type { Database } from "../../db/types.ts";
import { env } from "../../env.ts";
import { oneLine, UpstreamError } from "../../errors.ts";
import { createScheduledApp } from "../../http/scheduled-app.ts";
import { WhopApi } from "./whop-api.ts";
import { DEFAULT_WHOP_PAGE_SIZE, runWhopBackfill, type WhopResourceResult } from "./backfill.ts";

/** Pages per slice unless `WHOP_BACKFILL_SLICE_PAGES` says otherwise. */
export const DEFAULT_SLICE_PAGES = 5;
/** Wall-clock budget per slice (ms) unless `WHOP_BACKFILL_SLICE_MS` says otherwise. */
export const DEFAULT_SLICE_MS = 1_000;

/** What the app is built from; every part has a default from the environment. */
export interface WhopBackfillAppOptions {
  db: () => Kysely<Database>;
  /** Built per request, so a missing `WHOP_API_KEY` is a clean 500, not a failed deploy. */
  api?: () => WhopApi;
  /** The bearer secret; default `CRON_SECRET`, read per request. */
  secret?: () => string | undefined;
  maxPages?: number;
  budgetMs?: number;
  pageSize?: number;
}

/**
 * A slice must not sleep for minutes on a rate limit: it fails fast instead and the next
 * scheduled call resumes from the checkpoint.
 */
const SLICE_API_OPTIONS = {
  maxAttempts: 3,
  rateLimitDelayMs: 5_000,
  maxRetryAfterMs: 20_000,
  timeoutMs: 20_000,
};

/**
 * Builds the app.
 *
 * @example
 * export const app = createWhopBackfillApp({ db: runtimeDb });
 */
export function createWhopBackfillApp(options: WhopBackfillAppOptions): Hono {
  return createScheduledApp({
    body: bodySchema,
    secret: options.secret,
    async run({ full }) {
      const api = options.api?.() ?? WhopApi.fromEnv(SLICE_API_OPTIONS);
      let slice;
      try {
        slice = await runWhopBackfill(options.db(), api, {
          full,
          maxPages: options.maxPages ?? positive("WHOP_BACKFILL_SLICE_PAGES") ?? DEFAULT_SLICE_PAGES,
          budgetMs: options.budgetMs ?? positive("WHOP_BACKFILL_SLICE_MS") ?? DEFAULT_SLICE_MS,
          pageSize: options.pageSize ?? positive("WHOP_BACKFILL_PAGE_SIZE") ?? DEFAULT_WHOP_PAGE_SIZE,
        });
      } catch (error) {
        // The checkpoint and the run are kept: the next call resumes at the page that failed.
        if (error instanceof UpstreamError) {
          throw new UpstreamError(`${oneLine(error)}; the next call resumes at that page`, error.status);
        }
        throw error;
      }
      return {
        done: slice.done,
        ...(slice.busy ? { busy: true } : {}),
        resource: slice.resource,
        pages: slice.pages,
        records: slice.records,
        sync_log_id: slice.syncLogId,
        finished: slice.finished.map(finishedJson),
      };
    },
  });
}

/** `{}` or an empty body starts or continues an incremental backfill; `{"full": true}` a full one. */
const bodySchema = z.object({ full: z.boolean().default(false) });

function finishedJson(r: WhopResourceResult) {
  return {
    resource: r.resource,
    status: r.status,
    pages: r.pages,
    records: r.records,
    created: r.created,
    updated: r.updated,
    unchanged: r.unchanged,
    deleted: r.deleted,
    failed: r.failed,
    sync_log_id: r.syncLogId,
    ...(r.deleteRefused ? { delete_refused: r.deleteRefused } : {}),
  };
}

function positive(name: string): number | undefined {
  const value = Number(env(name));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
