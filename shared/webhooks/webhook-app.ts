/**
 * createWebhookApp: the Hono app behind each webhook function. It reads the raw body (with a size
 * limit), authenticates it, stores it in one statement, and answers as interfaces.md says: 200
 * `stored` (or `duplicate`), 401, 413, and the provider's retry status when the database cannot take
 * the delivery. Processing comes after the answer, in batches (`BackgroundDrain`), as both providers
 * advise: verify, enqueue, answer 2xx, process later.
 */
import { Hono } from "hono";
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import { isUnavailable } from "../db/client.ts";
import { readBody } from "../http/read-body.ts";
import { errorResponse, json } from "../http/error-response.ts";
import { storeDelivery, type WebhookProcessor } from "./inbox.ts";
import { BackgroundDrain, type BackgroundDrainOptions } from "./background-drain.ts";
import { type Delivery, readDelivery } from "./delivery.ts";
import { ConfigError, oneLine, UnavailableError } from "../errors.ts";
import { env } from "../env.ts";

/**
 * How long a delivery waits for the database (default 10 s, `WEBHOOK_DB_DEADLINE_MS`). While
 * Postgres is unreachable, postgres.js keeps queries queued and reconnects with a backoff of up to
 * 20 s per attempt, so without a deadline a delivery would hang for the whole outage instead of
 * getting the answer that makes its provider retry; providers also give up on slow answers.
 */
const DEFAULT_DB_DEADLINE_MS = 10_000;

/** The database did not answer within the deadline. */
class DatabaseDeadline extends Error {
  constructor(ms: number) {
    super(`the database did not answer within ${ms} ms`);
    this.name = "DatabaseDeadline";
  }
}

/** An authenticated delivery, named for deduplication. */
export interface AuthenticatedDelivery {
  eventId: string;
  eventType: string | null;
  /**
   * Set when `eventId` is derived from the body because the provider sends no id: what the
   * delivery is about (a contact id, an object id), so that the same body sent again after a
   * different delivery about the same thing is taken as new (see `storeDelivery`).
   */
  subject?: string | null;
}

/** What a source plugs into the webhook app. */
export interface WebhookSource extends WebhookProcessor {
  /** The status that makes this provider retry (Whop: 503; HighLevel retries only 429). */
  unavailableStatus: 503 | 429;
  /**
   * Verifies the delivery over its raw bytes and names it (its envelope read from `body.json`);
   * throws SignatureError or ConfigError.
   */
  authenticate(request: Request, body: Delivery): Promise<AuthenticatedDelivery>;
}

/** Options of {@link createWebhookApp}. */
export interface WebhookAppOptions {
  /**
   * Called when the database misses a deadline: the pool may be wedged rather than the database
   * down (functions pass `resetRuntimeDb`, see runtime.ts).
   */
  onDeadline?: () => void;
  /**
   * Whose stored deliveries the app processes after answering (default its own source's); a
   * delivery of any other source waits for `webhook-drain`.
   */
  processors?: readonly WebhookProcessor[];
  /** How processing after the answer runs (batch size, delay). */
  drain?: BackgroundDrainOptions;
}

/** A webhook function's app, with its processing after the answer. */
export type WebhookApp = Hono & {
  /** Processes stored deliveries after the answers; `drain.idle()` waits for it (tests). */
  readonly drain: BackgroundDrain;
};

/** Builds the app; `db` is called per request so a missing DATABASE_URL is a clean 500 or 503. */
export function createWebhookApp(
  source: WebhookSource,
  db: () => Kysely<Database>,
  options: WebhookAppOptions = {},
): WebhookApp {
  const app = new Hono();
  const drain = new BackgroundDrain(db, options.processors ?? [source], options.drain);
  app.post("*", async (c) => {
    let body: Delivery;
    let delivery: AuthenticatedDelivery;
    try {
      body = readDelivery(await readBody(c.req.raw));
      delivery = await source.authenticate(c.req.raw, body);
    } catch (error) {
      return errorResponse(error);
    }
    let stored;
    try {
      stored = await withDeadline(
        storeDelivery(db(), { source: source.source, ...delivery, body }),
      );
    } catch (error) {
      if (error instanceof ConfigError) return errorResponse(error); // no DATABASE_URL: say so
      // A store that lands after its deadline is harmless: the retry is then a duplicate.
      if (error instanceof DatabaseDeadline) options.onDeadline?.();
      if (isUnavailable(error) || error instanceof DatabaseDeadline) {
        return errorResponse(
          new UnavailableError("the database cannot take deliveries now; retry", source.unavailableStatus),
        );
      }
      // Anything else that stops us storing a signed delivery must still make the provider retry.
      console.error(`${source.source} delivery ${delivery.eventId} not stored: ${oneLine(error)}`);
      return errorResponse(
        new UnavailableError(
          "the delivery could not be stored; retry",
          source.unavailableStatus,
          "not stored",
        ),
      );
    }
    // Committed: from here on nothing is lost, whatever happens to this process. A repeat of a
    // delivery still pending (its process died before processing it) is the provider's retry doing
    // its job: it nudges the drain like a new one.
    if (stored.status === "pending") drain.notify();
    return json(200, { status: stored.duplicate ? "duplicate" : "stored", id: delivery.eventId });
  });
  app.all("*", (c) => c.json({ error: "method not allowed", reason: "send a POST" }, 405));
  app.onError((error) => errorResponse(error));
  return Object.assign(app, { drain });
}

/** `work`, or a DatabaseDeadline once the deadline passes (`work` goes on, its outcome handled). */
function withDeadline<T>(work: Promise<T>): Promise<T> {
  const ms = Number(env("WEBHOOK_DB_DEADLINE_MS") ?? DEFAULT_DB_DEADLINE_MS);
  if (!(ms > 0)) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseDeadline(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
