/**
 * createGhlBackfillApp: the Hono app behind the `ghl-backfill` function. Each call, authorised by
 * `Authorization: Bearer <CRON_SECRET>`, runs one bounded slice of the location's backfill and
 * answers with where it got to; the checkpoint carries the run to the next call.
 *
 * Body (all optional): `{"full": true, "force": false, "restart": false, "max_pages": 20,
 * "min_hours_between_runs": 20}`.
 */
import type { Hono } from "hono";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../../db/types.ts";
import { createScheduledApp } from "../../http/scheduled-app.ts";
import { ConfigError } from "../../errors.ts";
import { env } from "../../env.ts";
import { type GhlApi, ghlApiFromEnv } from "./ghl-api.ts";
import { runGhlBackfillSlice } from "./backfill.ts";

/** What the app needs; everything but the database defaults to the environment. */
export interface GhlBackfillAppDeps {
  db: () => Kysely<Database>;
  /** Default: a `GhlApi` from `GHL_API_TOKEN` / `GHL_API_BASE`, made once. */
  api?: () => GhlApi;
  /** Default: `GHL_LOCATION_ID`. */
  locationId?: () => string | undefined;
  /** Default: `CRON_SECRET`, read per call. */
  cronSecret?: () => string | undefined;
  /** Progress lines; default the function's log (console). */
  log?: (line: string) => void;
}

/**
 * Pages per call unless the body says otherwise: 1,000 contacts, a few hundred ms of CPU at most
 * (Edge allows 2 s of CPU per request).
 */
const DEFAULT_MAX_PAGES = 10;
/**
 * Wall-clock budget per call, checked before each page. With the client below a page takes at
 * most ~65 s, so a call ends well inside Supabase's 150 s (Free) / 400 s (paid) wall clock.
 */
const BUDGET_MS = 45_000;
/** A call must not stall on a long rate limit: it fails fast and the next call resumes. */
const SLICE_API_OPTIONS = { maxAttempts: 3, timeoutMs: 20_000, maxRetryAfterMs: 20_000 };

// Strict, so a misspelt option ("ful") is a 400 rather than a silently partial run.
const bodySchema = z.strictObject({
  full: z.boolean().optional(),
  force: z.boolean().optional(),
  restart: z.boolean().optional(),
  max_pages: z.number().int().positive().max(200).optional(),
  min_hours_between_runs: z.number().nonnegative().optional(),
});

/** Builds the app. */
export function createGhlBackfillApp(deps: GhlBackfillAppDeps): Hono {
  let api: GhlApi | null = null;
  // One client per process, so its rate limiter sees every call this isolate makes.
  const apiOnce = deps.api ?? (() => (api ??= ghlApiFromEnv(SLICE_API_OPTIONS)));
  const locationOf = deps.locationId ?? (() => env("GHL_LOCATION_ID"));
  return createScheduledApp({
    body: bodySchema,
    secret: deps.cronSecret,
    async run(options) {
      const locationId = locationOf();
      if (!locationId) throw new ConfigError("GHL_LOCATION_ID is not set");
      const slice = await runGhlBackfillSlice(deps.db(), {
        locationId,
        api: apiOnce(),
        full: options.full,
        force: options.force,
        restart: options.restart,
        maxPages: options.max_pages ?? DEFAULT_MAX_PAGES,
        budgetMs: BUDGET_MS,
        minHoursBetweenRuns: options.min_hours_between_runs,
        log: deps.log ?? ((line) => console.log(`ghl-backfill: ${line}`)),
      });
      const result = slice.result;
      return {
        status: slice.status,
        sync_log_id: slice.syncLogId,
        full: slice.full,
        pages: slice.pages,
        contacts: slice.contacts,
        ...(result
          ? {
            result: result.status,
            created: result.created,
            updated: result.updated,
            unchanged: result.unchanged,
            deleted: result.deleted,
            failed: result.failed,
            ...(result.deleteRefused ? { delete_refused: result.deleteRefused } : {}),
          }
          : {}),
      };
    },
  });
}
