/**
 * Turns a Whop webhook body (already signature-checked) into one normalised event, whichever
 * envelope it came in: v1 (`{ id, type, timestamp, data, … }`) or legacy v5 (`{ action, data }`).
 */

import { PayloadError } from "../../errors.ts";
import { parseWhop, whopEventEnvelope, whopLegacyEnvelope } from "./schemas.ts";

/** A Whop webhook event, the same shape for both envelopes. */
export interface WhopEvent {
  /** The envelope `id` (= the `webhook-id` header); legacy envelopes have none. */
  deliveryId?: string;
  /** `payment.succeeded`, `membership.activated`, … (v5's `action`). */
  type: string;
  /** When Whop sent the event; legacy envelopes do not say. */
  sentAt: Date | null;
  /** The object exactly as Whop sent it (no field converted), to be stored verbatim. */
  data: unknown;
  version: "v1" | "v5";
  /** The company (`company_id`, or `account_id` from pin 2026-08-14) when the envelope names it. */
  companyId?: string;
}

/**
 * Parses a webhook body.
 *
 * @throws PayloadError with a one-line reason (invalid JSON, not an object, unknown envelope, or the
 *   first schema issue) and the zod issues attached.
 *
 * @example
 * const event = parseWhopEvent(new TextDecoder().decode(body));
 * if (event.type.startsWith("payment.")) …
 */
export function parseWhopEvent(body: string): WhopEvent {
  let json: unknown;
  try {
    // A byte-order mark is legal in a UTF-8 body but not in JSON.parse.
    json = JSON.parse(body.replace(/^\uFEFF/, ""));
  } catch (error) {
    // The runtime's message quotes the body, which may hold line breaks: keep the reason one line.
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.replace(/\s+/g, " ").slice(0, 200);
    throw new PayloadError(`invalid JSON: ${reason}`);
  }
  return whopEventFromJson(json);
}

/**
 * Reads a parsed webhook body (a delivery's JSON, or a stored payload).
 *
 * @throws PayloadError as {@link parseWhopEvent}.
 */
export function whopEventFromJson(json: unknown): WhopEvent {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new PayloadError("body is not a JSON object");
  }
  const raw = json as Record<string, unknown>;

  if ("type" in raw) {
    const envelope = parseWhop(whopEventEnvelope, raw, "v1 envelope");
    return {
      ...(envelope.id ? { deliveryId: envelope.id } : {}),
      type: envelope.type,
      sentAt: envelope.timestamp ?? null,
      data: raw.data,
      version: "v1",
      ...companyOf(envelope.company_id ?? envelope.account_id),
    };
  }
  if ("action" in raw) {
    const envelope = parseWhop(whopLegacyEnvelope, raw, "legacy envelope");
    return { type: envelope.action, sentAt: null, data: raw.data, version: "v5" };
  }
  throw new PayloadError("unknown envelope: neither `type` (v1) nor `action` (v5)");
}

function companyOf(id: string | null | undefined): { companyId?: string } {
  return id ? { companyId: id } : {};
}
