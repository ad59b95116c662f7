/**
 * Turns a HighLevel delivery body into one `GhlEvent`, whichever way it came: a marketplace-app
 * webhook (flat camelCase body with a `type`) or a workflow "Webhook" action (snake_case body with
 * a `contact_id`). Run it after the signature or secret has been checked.
 */

import type { z } from "zod";
import { PayloadError } from "../../errors.ts";
import { contactFromBody, contactFromWorkflow, type GhlContact } from "./ghl-contact.ts";
import { parseGhlDate } from "./ghl-date.ts";
import {
  GHL_CONTACT_EVENT_TYPES,
  type GhlContactEventType,
  ghlContactSchema,
  marketplaceEnvelopeSchema,
  workflowContactSchema,
} from "./schemas.ts";

/** The `type` given to workflow deliveries, which carry none of their own. */
export const WORKFLOW_EVENT_TYPE = "Workflow";

/** A delivery, normalised. */
export interface GhlEvent {
  kind: "marketplace" | "workflow";
  /** The marketplace `type` (`ContactUpdate`, `INSTALL`, ...), or `WORKFLOW_EVENT_TYPE`. */
  type: string;
  /**
   * The marketplace `webhookId`, HighLevel's id for the delivery. `null` for workflow deliveries,
   * which have none: use `workflowDeliveryId` of the raw bytes instead.
   */
  deliveryId: string | null;
  /** The body's `timestamp`, when it has a readable one. */
  sentAt: Date | null;
  /** The contact the event is about, or `null` for event types that carry no contact. */
  contact: GhlContact | null;
  /** The parsed body as received, nothing removed: what gets stored as `raw`. */
  body: Record<string, unknown>;
}

/**
 * Parses and validates a delivery body.
 *
 * A body with a string `contact_id` is a workflow delivery (no marketplace event has one); a body
 * with a string `type` is a marketplace event. Marketplace types other than the contact events
 * parse too, with `contact: null`, so the caller can store and ignore them instead of refusing.
 *
 * @throws PayloadError with a one-line reason (and zod's issues) when the body is not JSON, is
 *   neither shape, or is a contact event without a usable contact.
 * @example
 *   const event = parseGhlEvent(new TextDecoder().decode(rawBytes));
 *   if (event.kind === "marketplace" && isStale(event.sentAt, new Date(), 300)) refuse();
 */
export function parseGhlEvent(body: string): GhlEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PayloadError("body is not valid JSON");
  }
  return ghlEventFromJson(json);
}

/**
 * Reads a parsed delivery (its JSON, or a stored payload).
 *
 * @throws PayloadError as {@link parseGhlEvent}.
 */
export function ghlEventFromJson(json: unknown): GhlEvent {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new PayloadError("body is not a JSON object");
  }
  const object = json as Record<string, unknown>;

  if (typeof object.contact_id === "string") {
    const workflow = validate(workflowContactSchema, object, "workflow body");
    const sentAt = parseGhlDate(workflow.timestamp);
    return {
      kind: "workflow",
      type: WORKFLOW_EVENT_TYPE,
      deliveryId: null,
      sentAt,
      contact: contactFromWorkflow(workflow),
      body: object,
    };
  }

  if (typeof object.type === "string") {
    const envelope = validate(marketplaceEnvelopeSchema, object, "marketplace event");
    const contact = isContactEventType(envelope.type)
      ? contactFromBody(validate(ghlContactSchema, object, `${envelope.type} body`))
      : null;
    return {
      kind: "marketplace",
      type: envelope.type,
      deliveryId: envelope.webhookId?.trim() || null,
      sentAt: parseGhlDate(envelope.timestamp),
      contact,
      body: object,
    };
  }

  throw new PayloadError(
    'body is neither a marketplace event (no "type") nor a workflow webhook (no "contact_id")',
  );
}

/**
 * Why a body that is neither a marketplace event (a string `type`) nor a workflow delivery (a
 * string `contact_id`) is ignored, recognised by its shape where it has a known one; `null` for a
 * body of either kind, and for one that is not a JSON object (that fails, as broken). HighLevel's
 * documented InvoicePaid example carries no `type` (sources.md §9).
 */
export function unrecognisedGhlBody(json: unknown): string | null {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const body = json as Record<string, unknown>;
  if (typeof body.contact_id === "string") return null;
  if (typeof body.type === "string" && body.type.trim() !== "") return null;
  if ("invoiceNumber" in body || ("_id" in body && ("amountPaid" in body || "invoiceItems" in body))) {
    return "an invoice without a type (as HighLevel's InvoicePaid example): HighLevel payments are not counted";
  }
  return 'the body names no event type (no "type") and is no workflow delivery (no "contact_id")';
}

/**
 * True when a delivery sent at `sentAt` is older than the replay window. A missing `sentAt` is
 * never stale (HighLevel does not promise a timestamp; `webhookId` dedupe still applies), and a
 * timestamp in the future is not stale either (clock skew is not a replay).
 */
export function isStale(sentAt: Date | null, now: Date, windowSeconds = 300): boolean {
  if (sentAt === null) return false;
  return now.getTime() - sentAt.getTime() > windowSeconds * 1000;
}

/** True when `type` is one of the contact events we map. */
export function isContactEventType(type: string): type is GhlContactEventType {
  return (GHL_CONTACT_EVENT_TYPES as readonly string[]).includes(type);
}

function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  throw new PayloadError(`${what} is invalid: ${path}: ${issue.message}`, result.error.issues);
}
