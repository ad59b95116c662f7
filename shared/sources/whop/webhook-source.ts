/**
 * whopWebhookSource: how the webhook app authenticates, names and maps a Whop delivery. Standard
 * Webhooks (v1) first; the legacy `x-whop-signature` scheme keeps older v5 webhooks working.
 */
import type { WebhookSource } from "../../webhooks/webhook-app.ts";
import { ConfigError } from "../../errors.ts";
import { env } from "../../env.ts";
import { sha256Hex } from "../../crypto/encoding.ts";
import { verifyStandardWebhook } from "./standard-webhooks.ts";
import { LEGACY_SIGNATURE_HEADER, verifyWhopLegacySignature } from "./legacy-signature.ts";
import { whopEventFromJson } from "./parse-whop-event.ts";
import { jsonObject } from "../../webhooks/delivery.ts";
import { whopEventToRecords } from "./map-whop-event.ts";
import { whopTable } from "./table.ts";

/** The Whop source; `secret` defaults to `WHOP_WEBHOOK_SECRET`, read per request. */
export function whopWebhookSource(options: { secret?: () => string | undefined } = {}): WebhookSource {
  const secretOf = options.secret ?? (() => env("WHOP_WEBHOOK_SECRET"));
  return {
    source: "WHOP",
    table: whopTable,
    unavailableStatus: 503,
    async authenticate(request, { bytes: body, json }) {
      const secret = secretOf();
      if (!secret) {
        throw new ConfigError("WHOP_WEBHOOK_SECRET is not set; copy it from Whop's webhook settings");
      }
      const headers = request.headers;
      if (!headers.has("webhook-signature") && headers.has(LEGACY_SIGNATURE_HEADER)) {
        await verifyWhopLegacySignature({ header: headers.get(LEGACY_SIGNATURE_HEADER), body, secret });
        // Legacy deliveries carry no id; the same signed body twice is the same delivery.
        // The same body after another delivery about the same object is a new one (storeDelivery).
        const id = jsonObject(jsonObject(json).data).id;
        return {
          eventId: `v5_${await sha256Hex(body)}`,
          eventType: eventTypeOf(json),
          subject: typeof id === "string" && id !== "" ? id : null,
        };
      }
      const { id } = await verifyStandardWebhook({ headers, body, secret });
      return { eventId: id, eventType: eventTypeOf(json) };
    },
    toRecords(payload) {
      // An object that names no event type is no event we know: kept, and ignored rather than
      // failed, so replay leaves it alone.
      if (isObject(payload) && eventTypeOf(payload) === null) {
        return { records: [], ignored: "the body names no event type (no `type` or `action`)" };
      }
      return whopEventToRecords(whopEventFromJson(payload));
    },
  };
}

function eventTypeOf(json: unknown): string | null {
  const body = jsonObject(json);
  const type = body.type ?? body.action;
  return typeof type === "string" && type.trim() !== "" ? type : null;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
