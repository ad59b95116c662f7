/**
 * outcomeOf: what became of a delivery once processed. A webhook answers `stored` (or `duplicate`)
 * before processing; tests that care how processing went wait for the app's drain and read the
 * delivery's `webhook_events` row: its status and error, in the shape answers used to carry them.
 */
import { expect } from "vitest";
import { type Kysely, sql } from "kysely";
import type { Database } from "../../shared/db/types.ts";
import type { WebhookApp } from "../../shared/webhooks/webhook-app.ts";

export interface Outcome {
  /** The answer's status: `stored` or `duplicate`. */
  answer: string;
  id: string;
  /** The stored delivery's status after processing. */
  status: string;
  reason?: string;
}

/** Waits for `app` to process what it stored, then reads the outcome of the delivery `res` answered. */
export async function outcomeOf(db: Kysely<Database>, app: WebhookApp, res: Response): Promise<Outcome> {
  expect(res.status).toBe(200);
  const answer = await res.json() as { status: string; id: string };
  expect(["stored", "duplicate"]).toContain(answer.status);
  await app.drain.idle();
  // A content-named delivery sent again after another about its subject is stored as `<id>#<time>`.
  const event = await db.selectFrom("webhook_events").select(["status", "error"])
    .where((eb) => eb.or([eb("event_id", "=", answer.id), eb("event_id", "like", `${answer.id}#%`)]))
    .orderBy("id", "desc").limit(1).executeTakeFirstOrThrow();
  return {
    answer: answer.status,
    id: answer.id,
    status: event.status,
    ...(event.error !== null ? { reason: event.error } : {}),
  };
}

/**
 * Stands for a drain that has claimed delivery `eventId` and whose process is about to die: while
 * `live`, other drains skip it (its claim names a backend that is alive); `false` lets the claim
 * lapse, as it does when that process dies.
 */
export async function claimAsDying(db: Kysely<Database>, eventId: string, live: boolean): Promise<void> {
  await sql`update webhook_events
            set claimed_until = ${live ? sql`now() + interval '1 minute'` : null},
                claimed_by = ${live ? sql`pg_backend_pid()` : null}
            where event_id = ${eventId}`.execute(db);
}

/**
 * Waits until no stored delivery is pending: for a server in another process, which processes
 * after answering. Throws after `timeoutMs` naming how many are still pending.
 */
export async function untilProcessed(db: Kysely<Database>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { n } = await db.selectFrom("webhook_events").select((eb) => eb.fn.countAll<string>().as("n"))
      .where("status", "=", "pending").executeTakeFirstOrThrow();
    if (Number(n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${n} deliveries still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
