/**
 * DrainTally: what a drain did. Stored deliveries are processed after their answer, in batches:
 * each batch is claimed oldest first (`claimEvents`), written by one run of the engine per source
 * (`processBatch`) and settled in one statement (`settleEvents`). The webhook functions drain after
 * each answer, `webhook-drain` (pg_cron, every minute) and `npm start` drain what those left, and
 * `replay` drains failed deliveries again.
 */
import type { Kysely } from "kysely";
import type { Database, WebhookStatus } from "../db/types.ts";
import type { WebhookProcessor } from "./inbox.ts";
import { claimEvents, settleEvents } from "./claim.ts";
import { processBatch } from "./process-batch.ts";

/** How many deliveries of each status a drain settled, and in how many batches. */
export type DrainTally = Record<WebhookStatus, number> & { batches: number };

/** Options of {@link drainEvents}. */
export interface DrainOptions {
  /** Deliveries per batch (default {@link DRAIN_BATCH}). */
  batchSize?: number;
  /** Which statuses to take (default pending). */
  statuses?: WebhookStatus[];
  /** Leave pending deliveries younger than this alone (default 0). */
  minAgeSeconds?: number;
  /** Take each delivery at most once in this drain (replay: a failure stays failed until the next). */
  once?: boolean;
  /** The most deliveries to settle (default no limit). */
  limit?: number;
  /** Start no batch after this many milliseconds (a function's wall clock; default no limit). */
  budgetMs?: number;
}

/**
 * Deliveries per batch. Large enough that the engine's fixed cost per run (about six statements)
 * is shared by many deliveries, small enough that mapping a batch holds the process's event loop,
 * which answers the next deliveries, for a few milliseconds at a time.
 */
export const DRAIN_BATCH = 200;

/**
 * Processes stored deliveries of the given sources until none is left to take (or the limit or
 * budget is reached). Deliveries another drain has claimed are left to it. Throws when the
 * database becomes unavailable; what was claimed and not settled is taken again once the claim
 * lapses.
 *
 * @example
 * const tally = await drainEvents(db, webhookSources());
 * // { processed: 120, failed: 1, ignored: 3, pending: 0, batches: 2 }
 */
export async function drainEvents(
  db: Kysely<Database>,
  processors: readonly WebhookProcessor[],
  options: DrainOptions = {},
): Promise<DrainTally> {
  const tally: DrainTally = { pending: 0, processed: 0, failed: 0, ignored: 0, batches: 0 };
  const batchSize = options.batchSize ?? DRAIN_BATCH;
  const limit = options.limit ?? Infinity;
  const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
  const cursors = new Map<string, { receivedAt: Date; id: string }>();
  const open = new Set(processors.map((p) => p.source));
  let settled = 0;
  while (open.size > 0 && settled < limit && Date.now() < deadline) {
    for (const processor of processors) {
      if (!open.has(processor.source) || settled >= limit) continue;
      const want = Math.min(batchSize, limit - settled);
      const events = await claimEvents(db, {
        source: processor.source,
        statuses: options.statuses,
        minAgeSeconds: options.minAgeSeconds,
        after: options.once ? cursors.get(processor.source) : undefined,
        limit: want,
      });
      // Fewer than asked for: nothing more of this source is free to take now.
      if (events.length < want) open.delete(processor.source);
      if (events.length === 0) continue;
      const last = events[events.length - 1];
      cursors.set(processor.source, { receivedAt: last.receivedAt, id: last.id });
      const outcomes = await processBatch(db, processor, events);
      await settleEvents(db, outcomes);
      for (const o of outcomes) tally[o.status]++;
      tally.batches++;
      settled += outcomes.length;
    }
  }
  return tally;
}

/** Options of {@link replayEvents}. */
export interface ReplayOptions {
  /** Which statuses to replay (default failed and pending). */
  statuses?: WebhookStatus[];
  /** Leave pending events younger than this alone: a function's own drain has them (default 60 s). */
  minAgeSeconds?: number;
  limit?: number;
}

/**
 * Processes stored events again, each at most once: failed ones, and pending ones left behind
 * (ignored ones are left alone). Each keeps its `received_at` as the time its records were seen, so
 * a replay never overwrites a version received after it. Returns how many ended in each status.
 */
export async function replayEvents(
  db: Kysely<Database>,
  processors: readonly WebhookProcessor[],
  options: ReplayOptions = {},
): Promise<Record<WebhookStatus, number>> {
  const { batches: _batches, ...tally } = await drainEvents(db, processors, {
    statuses: options.statuses ?? ["failed", "pending"],
    minAgeSeconds: options.minAgeSeconds ?? 60,
    limit: options.limit ?? 10_000,
    once: true,
  });
  return tally;
}
