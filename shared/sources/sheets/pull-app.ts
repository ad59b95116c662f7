/**
 * createSheetsPullApp: the Hono app behind `sheets-pull`. A POST with the cron bearer secret pulls
 * every enabled source that is due (`{}`) or one source now (`{"source": "<name>"}`), within a time
 * budget that keeps the call inside Edge's 2 s of CPU; a pull that needs longer answers
 * `done: false` and the next call resumes it from its checkpoint.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { Kysely } from "kysely";
import type { Database } from "../../db/types.ts";
import { env } from "../../env.ts";
import { createScheduledApp } from "../../http/scheduled-app.ts";
import type { TabularKind } from "../tabular/tabular-kind.ts";
import type { PullOptions, PullSummary } from "./pull.ts";
import { pullSheets } from "./pull-due.ts";

/** `{}` or an empty body: the due sources; `{"source": "name"}`: that one. */
const bodySchema = z.object({
  source: z.string().trim().min(1, "must be the name of a sheet source").optional(),
});

/** Wall-clock budget per call (ms) unless `SHEETS_PULL_BUDGET_MS` says otherwise. */
export const DEFAULT_PULL_BUDGET_MS = 1_000;
/** Rows per chunk unless `SHEETS_PULL_CHUNK_ROWS` says otherwise. */
export const DEFAULT_PULL_CHUNK_ROWS = 1_000;

/**
 * A call must not sleep for minutes on a rate limit or a silent server: it fails fast, and the
 * source is tried again at its next schedule.
 */
const CALL_RETRY = { maxAttempts: 3, maxDelayMs: 5_000, timeoutMs: 20_000 };

/** What the app is built from; every part has a default from the environment. */
export interface SheetsPullAppOptions {
  db: () => Kysely<Database>;
  /** The bearer secret; default `CRON_SECRET`, read per request. */
  secret?: () => string | undefined;
  /** The kinds of sheet source the app pulls (`sheetKind`, `electiveKind`). */
  kinds: readonly TabularKind[];
  /** Pull settings (budget, chunk size, download and Sheets API settings, clock). */
  pull?: Omit<PullOptions, "kinds">;
}

/**
 * Builds the app.
 *
 * @example
 * export const app = createSheetsPullApp({ db: runtimeDb, kinds: [sheetKind, electiveKind] });
 */
export function createSheetsPullApp(options: SheetsPullAppOptions): Hono {
  return createScheduledApp({
    body: bodySchema,
    secret: options.secret,
    async run({ source }) {
      const pull = options.pull ?? {};
      const summaries = await pullSheets(options.db(), {
        ...pull,
        kinds: options.kinds,
        source,
        dueOnly: source === undefined,
        budgetMs: pull.budgetMs ?? positive("SHEETS_PULL_BUDGET_MS") ?? DEFAULT_PULL_BUDGET_MS,
        chunkRows: pull.chunkRows ?? positive("SHEETS_PULL_CHUNK_ROWS") ?? DEFAULT_PULL_CHUNK_ROWS,
        csv: { ...CALL_RETRY, ...pull.csv },
        sheetsApi: { ...CALL_RETRY, ...pull.sheetsApi },
      });
      return { sources: summaries.map(summaryJson) };
    },
  });
}

/** A summary as the function answers it (snake_case, as the rest of the HTTP surface). */
export function summaryJson(s: PullSummary): Record<string, unknown> {
  return {
    source: s.source,
    kind: s.kind,
    status: s.status,
    created: s.created,
    updated: s.updated,
    unchanged: s.unchanged,
    deleted: s.deleted,
    failed: s.failed,
    sync_log_id: s.syncLogId,
    done: s.done,
    resumes: s.resumes,
    rows: s.rows,
    columns: s.columns,
    ...(s.error ? { error: s.error } : {}),
    ...(s.incomplete ? { incomplete: s.incomplete } : {}),
    ...(s.rowErrors.length ? { row_errors: s.rowErrors } : {}),
    ...(s.summaryRows.count
      ? { summary_rows: { count: s.summaryRows.count, row_numbers: s.summaryRows.rowNumbers } }
      : {}),
    ...(s.deleteRefused ? { delete_refused: s.deleteRefused } : {}),
  };
}

function positive(name: string): number | undefined {
  const value = Number(env(name));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
