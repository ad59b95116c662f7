/**
 * pullSheets: the pulls one call makes — one named source now, or every enabled source that is
 * due. A source is due when its `schedule` has fired since its last pull or attempt, or when a
 * pull of it is part-way (a sliced pull resumes on the next call whatever the schedule).
 *
 * pg_cron calls `sheets-pull` on one tick (every minute by default); each source's own cron
 * expression decides which ticks pull it, so changing a schedule or disabling a source takes
 * effect at the next tick without touching the cron job.
 */
import type { Kysely } from "kysely";
import type { Database } from "../../db/types.ts";
import { NotFoundError, oneLine } from "../../errors.ts";
import { isUnavailable } from "../../db/client.ts";
import { CronError, type CronSchedule, isDue, parseCron, previousCronTime } from "./cron-schedule.ts";
import { type PullOptions, pullSheetSource } from "./pull.ts";
import { SHEET_PULL_CHECKPOINT_PREFIX, type SheetPullState } from "./pull-state.ts";
import { type PullSummary, pullSummary } from "./pull-summary.ts";
import { findSheetSource, listSheetSources, type SheetSource } from "./sheet-sources.ts";

/** `pullSheets({ source })` named a source that does not exist. */
/** A named source that does not exist (HTTP 404). */
export class UnknownSheetSourceError extends NotFoundError {
  constructor(readonly sourceName: string) {
    super(`there is no sheet source named '${sourceName}' (add it with sheets:add)`);
    this.name = "UnknownSheetSourceError";
  }
}

/** Options of {@link pullSheets}. */
export interface PullSheetsOptions extends PullOptions {
  /** Pull this source now (enabled or not); otherwise every enabled source. */
  source?: string;
  /** Without `source`: only the sources that are due. */
  dueOnly?: boolean;
}

/** An enabled source the scheduler cannot judge, with why. */
export interface UnschedulableSource {
  source: SheetSource;
  reason: string;
}

/** The longest a failing source waits between attempts (unless its own schedule is sparser). */
export const MAX_BACKOFF_MS = 24 * 3600_000;

/**
 * How long a source whose last `failures` pulls in a row failed waits after its last attempt: its
 * schedule's interval, doubled for each failure after the first, at most a day (or one interval,
 * when that is longer).
 */
export function backoffMs(intervalMs: number, failures: number): number {
  if (failures <= 1) return 0;
  return Math.min(intervalMs * 2 ** Math.min(failures - 1, 30), Math.max(intervalMs, MAX_BACKOFF_MS));
}

/**
 * The enabled sources due at `now`: part-way pulls first, then the rest by name, and the failing
 * ones after all others. A source whose last pulls failed in a row backs off (`backoffMs`), so a
 * sheet that keeps breaking is tried less and less often instead of on every tick. A source whose
 * schedule is not a valid cron expression (a hand edit: `sheets:add` refuses one) is returned
 * apart, so the caller can report it instead of skipping it silently.
 */
export async function dueSheetSources(
  db: Kysely<Database>,
  now: Date,
): Promise<{ due: SheetSource[]; invalid: UnschedulableSource[] }> {
  const [sources, checkpoints] = await Promise.all([
    listSheetSources(db, { enabledOnly: true }),
    db.selectFrom("sync_checkpoints").select(["name", "state"]).where("name", "like", "sheets:pull:%")
      .execute(),
  ]);
  const states = new Map(
    checkpoints.map((
      c,
    ) => [c.name.slice(SHEET_PULL_CHECKPOINT_PREFIX.length), c.state as Partial<SheetPullState>]),
  );
  const resuming: SheetSource[] = [];
  const due: SheetSource[] = [];
  const failing: { source: SheetSource; failures: number }[] = [];
  const invalid: UnschedulableSource[] = [];
  for (const source of sources) {
    const state = states.get(source.id);
    const failures = state?.failures ?? 0;
    if (state?.runId) {
      if (failures > 0) failing.push({ source, failures });
      else resuming.push(source);
      continue;
    }
    let schedule;
    try {
      schedule = parseCron(source.schedule);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      invalid.push({ source, reason: `its schedule is not valid: ${error.message}` });
      continue;
    }
    const attempted = state?.lastAttemptAt ? new Date(state.lastAttemptAt) : null;
    const last = latest(source.lastPulledAt, attempted);
    if (!isDue(schedule, last, now)) continue;
    if (failures === 0) {
      due.push(source);
    } else if (
      !attempted || now.getTime() - attempted.getTime() >= backoffMs(interval(schedule, now), failures)
    ) {
      failing.push({ source, failures });
    }
  }
  failing.sort((a, b) => a.failures - b.failures);
  return { due: [...resuming, ...due, ...failing.map((f) => f.source)], invalid };
}

/** The time between the schedule's last two firings before `now` (a minute when unknown). */
function interval(schedule: CronSchedule, now: Date): number {
  const last = previousCronTime(schedule, now);
  const before = last === null ? null : previousCronTime(schedule, last - 1);
  return last !== null && before !== null ? last - before : 60_000;
}

/**
 * Pulls one source (`source`), every enabled source, or the due ones (`dueOnly`), one after
 * another. With a budget, sources left when it is spent are reported DEFERRED (they stay due). One
 * source's failure (a download that breaks, a sheet that cannot be read) is that source's FAILED
 * summary and the next source is pulled.
 *
 * @throws UnknownSheetSourceError for an unknown `source`; the database's error when it is down.
 */
export async function pullSheets(
  db: Kysely<Database>,
  options: PullSheetsOptions,
): Promise<PullSummary[]> {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  let sources: SheetSource[];
  const out: PullSummary[] = [];
  if (options.source !== undefined) {
    const source = await findSheetSource(db, options.source);
    if (!source) throw new UnknownSheetSourceError(options.source);
    sources = [source];
  } else if (options.dueOnly) {
    const { due, invalid } = await dueSheetSources(db, new Date(now()));
    for (const { source, reason } of invalid) out.push(notPulled(source, "FAILED", reason));
    sources = due;
  } else {
    sources = await listSheetSources(db, { enabledOnly: true });
  }

  let pulled = 0;
  for (const source of sources) {
    if (pulled > 0 && now() - startedAt >= (options.budgetMs ?? Infinity)) {
      out.push(notPulled(source, "DEFERRED", "this call's time budget was spent; the next call pulls it"));
      continue;
    }
    try {
      out.push(await pullSheetSource(db, source, { ...options, now, startedAt }));
    } catch (error) {
      // The database is down for every source alike: the call fails (503) and is tried again.
      // Anything else is this source's own trouble: report it and go on with the next.
      if (isUnavailable(error)) throw error;
      out.push(notPulled(source, "FAILED", oneLine(error)));
    }
    pulled++;
  }
  return out;
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function notPulled(source: SheetSource, status: "FAILED" | "DEFERRED", reason: string): PullSummary {
  const deferred = status === "DEFERRED";
  return pullSummary(source, { status, done: !deferred, resumes: deferred, error: reason });
}
