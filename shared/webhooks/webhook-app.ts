/**
 * createWebhookApp: the Hono app behind each webhook function. It reads the raw body (with a size
 * limit), authenticates it, stores it, then processes it, answering as interfaces.md says:
 * 200 stored (also for a duplicate or a failed processing), 401, 413, and the provider's retry
 * status when the database cannot take the delivery.
 */
import { Hono } from "hono";
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import { isUnavailable } from "../db/client.ts";
import { readBody } from "../http/read-body.ts";
import { errorResponse, json } from "../http/error-response.ts";
import { processEvent, storeDelivery, type WebhookProcessor } from "./inbox.ts";
import { ConfigError, oneLine } from "../errors.ts";

/** An authenticated delivery, named for deduplication. */
export interface AuthenticatedDelivery {
  eventId: string;
  eventType: string | null;
}

/** What a source plugs into the webhook app. */
export interface WebhookSource extends WebhookProcessor {
  /** The status that makes this provider retry (Whop: 503; HighLevel retries only 429). */
  unavailableStatus: 503 | 429;
  /** Verifies the delivery over its raw bytes; throws SignatureError or ConfigError. */
  authenticate(request: Request, body: Uint8Array<ArrayBuffer>, text: string): Promise<AuthenticatedDelivery>;
}

/** Builds the app; `db` is called per request so a missing DATABASE_URL is a clean 500 or 503. */
export function createWebhookApp(source: WebhookSource, db: () => Kysely<Database>): Hono {
  const app = new Hono();
  app.post("*", async (c) => {
    let body: Uint8Array<ArrayBuffer>;
    let delivery: AuthenticatedDelivery;
    let text: string;
    try {
      body = await readBody(c.req.raw);
      text = new TextDecoder("utf-8", { fatal: false }).decode(body);
      delivery = await source.authenticate(c.req.raw, body, text);
    } catch (error) {
      return errorResponse(error);
    }
    let stored;
    try {
      stored = await storeDelivery(db(), { source: source.source, ...delivery, body: text, bytes: body });
    } catch (error) {
      if (error instanceof ConfigError) return errorResponse(error); // no DATABASE_URL: say so
      if (isUnavailable(error)) {
        return json(source.unavailableStatus, {
          error: "unavailable",
          reason: "the database cannot take deliveries now; retry",
        });
      }
      // Anything else that stops us storing a signed delivery must still make the provider retry.
      console.error(`${source.source} delivery ${delivery.eventId} not stored: ${oneLine(error)}`);
      return json(source.unavailableStatus, {
        error: "not stored",
        reason: "the delivery could not be stored; retry",
      });
    }
    if (stored.duplicate) return json(200, { status: "duplicate", id: delivery.eventId });
    try {
      const outcome = await processEvent(db(), source, { id: stored.id, payload: parseOrWrap(text) });
      return json(200, {
        status: outcome.status,
        id: delivery.eventId,
        ...(outcome.error ? { reason: outcome.error } : {}),
      });
    } catch (error) {
      // Stored but not processed (the database went away mid-way): it stays pending for replay.
      console.error(
        `${source.source} delivery ${delivery.eventId} stored, processing deferred: ${oneLine(error)}`,
      );
      return json(200, { status: "pending", id: delivery.eventId });
    }
  });
  app.all("*", (c) => c.json({ error: "method not allowed", reason: "send a POST" }, 405));
  app.onError((error) => errorResponse(error));
  return app;
}

function parseOrWrap(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { unparsed: text };
  }
}
