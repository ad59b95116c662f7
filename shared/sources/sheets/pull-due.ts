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
import { NotFoundError } from "../../errors.ts";
import { CronError, isDue, parseCron } from "./cron-schedule.ts";
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

/**
 * The enabled sources due at `now`: part-way pulls first, then the rest by name. A source whose
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
  const invalid: UnschedulableSource[] = [];
  for (const source of sources) {
    const state = states.get(source.id);
    if (state?.runId) {
      resuming.push(source);
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
    if (isDue(schedule, last, now)) due.push(source);
  }
  return { due: [...resuming, ...due], invalid };
}

/**
 * Pulls one source (`source`), every enabled source, or the due ones (`dueOnly`), one after
 * another. With a budget, sources left when it is spent are reported DEFERRED (they stay due).
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
    out.push(await pullSheetSource(db, source, { ...options, now, startedAt }));
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
