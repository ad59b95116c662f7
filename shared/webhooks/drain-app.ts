/**
 * createDrainApp: the `webhook-drain` function. pg_cron calls it every minute (migration
 * `…_webhook_drain.sql`) to process deliveries that were stored and answered but never processed:
 * the isolate that took them was recycled, a deploy replaced it, or it crashed. A call drains
 * within a time budget that keeps it inside the Edge limits and answers what it did; `done: false`
 * means more is waiting for the next call.
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import { createScheduledApp } from "../http/scheduled-app.ts";
import { NotFoundError } from "../errors.ts";
import { env } from "../env.ts";
import type { WebhookProcessor } from "./inbox.ts";
import { drainEvents } from "./drain.ts";

/** `{}` drains every source; `{"source": "<name>"}` one (a registered source's name). */
const bodySchema = z.object({
  source: z.string().trim().min(1).optional(),
  limit: z.number().int().positive().optional(),
});

/** Wall-clock budget per call unless `WEBHOOK_DRAIN_BUDGET_MS` says otherwise: Edge allows 2 s of CPU. */
export const DEFAULT_DRAIN_BUDGET_MS = 1_000;

/** Builds the app over the webhook sources it may drain (the registry passes every one). */
export function createDrainApp(
  db: () => Kysely<Database>,
  processors: readonly WebhookProcessor[],
  options: { secret?: () => string | undefined; budgetMs?: number } = {},
): Hono {
  return createScheduledApp({
    body: bodySchema,
    secret: options.secret,
    async run({ source, limit }) {
      const chosen = processors.filter((p) => !source || p.source === source.toUpperCase());
      if (chosen.length === 0) {
        throw new NotFoundError(
          `no webhook source named ${source} (known: ${processors.map((p) => p.source).join(", ")})`,
        );
      }
      const budgetMs = options.budgetMs ?? Number(env("WEBHOOK_DRAIN_BUDGET_MS") ?? DEFAULT_DRAIN_BUDGET_MS);
      const tally = await drainEvents(db(), chosen, { budgetMs, limit });
      const waiting = await db().selectFrom("webhook_events").select((eb) => eb.fn.countAll<string>().as("n"))
        .where("status", "=", "pending").where("source", "in", chosen.map((p) => p.source))
        .executeTakeFirstOrThrow();
      return { ...tally, done: Number(waiting.n) === 0, waiting: Number(waiting.n) };
    },
  });
}
