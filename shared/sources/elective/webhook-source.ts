/**
 * electiveWebhookSource: how the webhook app authenticates, names and maps a delivery from
 * Elective's Zapier triggers. "Webhooks by Zapier" sends unsigned POSTs, so the Zap carries the
 * shared secret `ELECTIVE_WEBHOOK_SECRET` in the `x-webhook-secret` header or the `?secret=` query.
 * Zapier may send one event more than once: a delivery is named by the event's content identity
 * (event, order, amount, installment date), so a repeat is a duplicate and a new event is not.
 */
import type { WebhookSource } from "../../webhooks/webhook-app.ts";
import { SignatureError } from "../../errors.ts";
import { env } from "../../env.ts";
import { sha256Hex, timingSafeEqualText } from "../../crypto/encoding.ts";
import { electiveTable } from "./table.ts";
import { parseZapierEvent } from "./zapier-schema.ts";
import { eventIdentity, zapierEventToRecords, zapierEventType } from "./map-zapier-event.ts";

/** Header carrying the shared secret (the query form is `?secret=`). */
export const ELECTIVE_SECRET_HEADER = "x-webhook-secret";

/**
 * The Elective feed; `secret` defaults to `ELECTIVE_WEBHOOK_SECRET`, read per request.
 *
 * @example
 *   export const app = createWebhookApp(electiveWebhookSource(), runtimeDb);
 */
export function electiveWebhookSource(options: { secret?: () => string | undefined } = {}): WebhookSource {
  const secretOf = options.secret ?? (() => env("ELECTIVE_WEBHOOK_SECRET"));
  return {
    source: "ELECTIVE",
    table: electiveTable,
    unavailableStatus: 503,
    async authenticate(request, { bytes, json }) {
      verifySharedSecret(providedSecret(request), secretOf());
      let eventId: string;
      try {
        eventId = `zap_${await sha256Hex(eventIdentity(parseZapierEvent(json)))}`;
      } catch {
        // Not an event we can read: stored under its bytes, and failed with the reason when processed.
        eventId = `zap_body_${await sha256Hex(new Uint8Array(bytes))}`;
      }
      return { eventId, eventType: zapierEventType(json) };
    },
    toRecords(payload) {
      return zapierEventToRecords(parseZapierEvent(payload));
    },
  };
}

/** The secret from the header, else from the query; `null` when neither carries one. */
function providedSecret(request: Request): string | null {
  const header = request.headers.get(ELECTIVE_SECRET_HEADER);
  if (header !== null && header !== "") return header;
  const query = new URL(request.url).searchParams.get("secret");
  return query !== null && query !== "" ? query : null;
}

/** Passes when `provided` equals `expected` (constant time); an unset secret refuses everything. */
export function verifySharedSecret(provided: string | null, expected: string | undefined): void {
  if (expected === undefined || expected === "") {
    throw new SignatureError("the Elective feed is disabled: ELECTIVE_WEBHOOK_SECRET is not set");
  }
  if (provided === null) throw new SignatureError("missing secret (x-webhook-secret header or ?secret=)");
  if (!timingSafeEqualText(provided, expected)) throw new SignatureError("secret does not match");
}
