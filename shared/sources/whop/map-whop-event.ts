/**
 * Maps Whop payments, memberships and refunds to `SourceRecord`s, from a webhook event or from an
 * object the REST backfill listed. Event types we do not track are reported as ignored, never as
 * errors: Whop adds event types over time and a delivery we ignore must still be acknowledged.
 */

import type { SourceRecord } from "../../sync/record.ts";
import type { WhopEvent } from "./parse-whop-event.ts";
import type { WhopMembership, WhopPayment, WhopRefund } from "./schemas.ts";
import { parseWhop, whopMembership, whopPayment, whopRefund } from "./schemas.ts";

/** The Whop object kinds that become records; each is its own `scope`. */
export type WhopObjectKind = "payment" | "membership" | "refund";

/** The records an event yields, or why it yields none. */
export interface WhopMapping {
  records: SourceRecord[];
  /** Set when the event type is not one we track (the delivery is still a success). */
  ignored?: string;
}

/** What the mapper knows beyond the object itself. */
export interface WhopObjectContext {
  /** The event type (`payment.succeeded`), when the object came in a webhook. */
  type?: string;
  /** The event's send time: the change time when the object carries no `updated_at`. */
  sentAt?: Date | null;
}

const KINDS: readonly WhopObjectKind[] = ["payment", "membership", "refund"];

/**
 * The records of one event: a `payment.*`, `membership.*` or `refund.*` event (either envelope)
 * gives one record; anything else gives none and an `ignored` reason.
 *
 * @throws PayloadError when a tracked event's `data` lacks what a record needs (its `id`) or holds a
 *   value of the wrong kind (a timestamp or amount that is neither a number nor parseable text).
 */
export function whopEventToRecords(event: WhopEvent): WhopMapping {
  const kind = whopObjectKind(event.type);
  if (kind === null) return { records: [], ignored: `${event.type} is not handled` };
  return { records: [whopObjectToRecord(kind, event.data, { type: event.type, sentAt: event.sentAt })] };
}

/** The object kind an event type is about (`payment.failed` → `payment`), or `null` when untracked. */
export function whopObjectKind(type: string): WhopObjectKind | null {
  const prefix = type.split(".")[0];
  return (KINDS as readonly string[]).includes(prefix) ? prefix as WhopObjectKind : null;
}

/**
 * One Whop object as a record. The backfill calls this with REST objects (no context); the webhook
 * path calls it through `whopEventToRecords`.
 *
 * @throws PayloadError as `whopEventToRecords` does.
 * @example
 * for (const payment of page.data) records.push(whopObjectToRecord("payment", payment));
 */
export function whopObjectToRecord(
  kind: WhopObjectKind,
  data: unknown,
  context: WhopObjectContext = {},
): SourceRecord {
  const what = `${context.type ?? kind} data`;
  switch (kind) {
    case "payment":
      return paymentRecord(data, parseWhop(whopPayment, data, what), context);
    case "membership":
      return membershipRecord(data, parseWhop(whopMembership, data, what), context);
    case "refund":
      return refundRecord(data, parseWhop(whopRefund, data, what), context);
  }
}

type User = WhopPayment["user"];

function paymentRecord(raw: unknown, payment: WhopPayment, context: WhopObjectContext): SourceRecord {
  return {
    key: payment.id,
    scope: "payment",
    ...person(payment.user),
    raw,
    changedAt: payment.updated_at ?? context.sentAt ?? null,
    // Legacy v5 receipts state the charged amount as `final_amount`; v1 has `total` only.
    amount: payment.total ?? payment.final_amount ?? null,
    currency: currencyCode(payment.currency),
    amountUsd: payment.usd_total ?? null,
    refunded: payment.refunded_amount ?? "0",
    // `status` may be null (sources.md 2.3); a `payment.succeeded` without one is still a sale.
    revenue: payment.status ? payment.status === "paid" : context.type === "payment.succeeded",
    date: payment.paid_at ?? payment.created_at ?? null,
  };
}

function membershipRecord(
  raw: unknown,
  membership: WhopMembership,
  context: WhopObjectContext,
): SourceRecord {
  return {
    key: membership.id,
    scope: "membership",
    ...person(membership.user),
    raw,
    changedAt: membership.updated_at ?? context.sentAt ?? null,
    revenue: false,
    date: membership.created_at ?? null,
  };
}

function refundRecord(raw: unknown, refund: WhopRefund, context: WhopObjectContext): SourceRecord {
  const payment = refund.payment;
  return {
    key: refund.id,
    scope: "refund",
    ...person(refund.user),
    raw,
    // A v1 refund has no `updated_at`; the send time orders `refund.created` before `refund.updated`.
    changedAt: refund.updated_at ?? context.sentAt ?? null,
    currency: currencyCode(refund.currency),
    // Only money that actually went back counts; a pending or failed refund returns nothing yet.
    refunded: refund.status === "succeeded" ? refund.amount ?? "0" : "0",
    revenue: false,
    parentKey: (typeof payment === "string" ? payment : payment?.id) ?? refund.payment_id ?? null,
    date: refund.created_at ?? null,
  };
}

/** Email and name from an embedded user; a bare user id (pin 2026-09-15) tells neither. */
function person(user: User): { email: string | null; name: string | null } {
  if (!user || typeof user === "string") return { email: null, name: null };
  return { email: nonBlank(user.email), name: nonBlank(user.name) ?? nonBlank(user.username) };
}

function nonBlank(value: string | null | undefined): string | null {
  return value && value.trim() !== "" ? value : null;
}

/** Whop writes `usd`; records carry ISO 4217 upper-case. */
function currencyCode(currency: string | null | undefined): string | null {
  const code = currency?.trim().toUpperCase();
  return code ? code : null;
}
