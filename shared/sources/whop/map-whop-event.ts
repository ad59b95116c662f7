/**
 * Maps Whop payments, memberships, refunds and disputes to `SourceRecord`s, from a webhook event or from an
 * object the REST backfill listed. Event types we do not track are reported as ignored, never as
 * errors: Whop adds event types over time and a delivery we ignore must still be acknowledged.
 */

import type { SourceRecord } from "../../sync/record.ts";
import type { WhopEvent } from "./parse-whop-event.ts";
import type { WhopDispute, WhopMembership, WhopPayment, WhopRefund } from "./schemas.ts";
import { parseWhop, whopDispute, whopMembership, whopPayment, whopRefund } from "./schemas.ts";
import { whopRank } from "./whop-lifecycle.ts";
import { PayloadError } from "../../errors.ts";

/** The Whop object kinds that become records; each is its own `scope`. */
export type WhopObjectKind = "payment" | "membership" | "refund" | "dispute";

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

const KINDS: readonly WhopObjectKind[] = ["payment", "membership", "refund", "dispute"];

/** Dispute outcomes; any other status (`needs_response`, `under_review`, an inquiry…) is open. */
const DISPUTE_CLOSED = ["won", "lost", "closed", "warning_closed"];

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
    case "dispute":
      return disputeRecord(data, parseWhop(whopDispute, data, what), context);
  }
}

type User = WhopPayment["user"];

function paymentRecord(raw: unknown, payment: WhopPayment, context: WhopObjectContext): SourceRecord {
  // Legacy v5 receipts state the charged amount as `final_amount`; v1 has `total` only.
  const amount = payment.total ?? payment.final_amount ?? null;
  notNegative(payment.id, "total", amount);
  notNegative(payment.id, "usd_total", payment.usd_total);
  notNegative(payment.id, "refunded_amount", payment.refunded_amount);
  // `status` may be null (sources.md 2.3); a `payment.succeeded` without one is still a sale.
  const status = payment.status ?? (context.type === "payment.succeeded" ? "paid" : null);
  return {
    key: payment.id,
    scope: "payment",
    ...person(payment.user),
    raw,
    changedAt: payment.updated_at ?? context.sentAt ?? null,
    rank: whopRank("payment", { status, substatus: payment.substatus, refunded: payment.refunded_amount }),
    amount,
    currency: currencyCode(payment.currency),
    amountUsd: payment.usd_total ?? null,
    refunded: payment.refunded_amount ?? "0",
    revenue: status === "paid",
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
    rank: whopRank("membership", membership),
    revenue: false,
    date: membership.created_at ?? null,
  };
}

function refundRecord(raw: unknown, refund: WhopRefund, context: WhopObjectContext): SourceRecord {
  notNegative(refund.id, "amount", refund.amount);
  return {
    key: refund.id,
    scope: "refund",
    // A refund names no buyer of its own: it belongs to the payment's (sources.md §9).
    ...person(refund.user ?? paymentOf(refund.payment)?.user),
    raw,
    // A v1 refund has no `updated_at`; the send time orders `refund.created` before `refund.updated`.
    changedAt: refund.updated_at ?? context.sentAt ?? null,
    rank: whopRank("refund", refund),
    currency: currencyCode(refund.currency),
    // Only money that actually went back counts; a pending or failed refund returns nothing yet.
    refunded: refund.status === "succeeded" ? refund.amount ?? "0" : "0",
    revenue: false,
    parentKey: paymentId(refund.payment) ?? refund.payment_id ?? null,
    date: refund.created_at ?? null,
  };
}

/**
 * A dispute adjusts its payment like a refund once lost (the views cap it at the payment's amount
 * and convert it in the payment's USD ratio); while open its amount is only listed as contested;
 * won, closed or an inquiry closed, it changes nothing.
 */
function disputeRecord(raw: unknown, dispute: WhopDispute, context: WhopObjectContext): SourceRecord {
  notNegative(dispute.id, "amount", dispute.amount);
  const open = !DISPUTE_CLOSED.includes(dispute.status ?? "");
  return {
    key: dispute.id,
    scope: "dispute",
    ...person(dispute.buyer ?? dispute.user ?? paymentOf(dispute.payment)?.user),
    raw,
    changedAt: dispute.updated_at ?? context.sentAt ?? null,
    rank: whopRank("dispute", dispute),
    currency: currencyCode(dispute.currency),
    refunded: dispute.status === "lost" ? dispute.amount ?? "0" : "0",
    contested: open ? dispute.amount ?? "0" : "0",
    revenue: false,
    parentKey: paymentId(dispute.payment) ?? dispute.payment_id ?? null,
    date: dispute.created_at ?? null,
  };
}

type Related = WhopRefund["payment"];

function paymentOf(payment: Related): Exclude<Related, string | null | undefined> | null {
  return payment && typeof payment !== "string" ? payment : null;
}

function paymentId(payment: Related): string | null {
  return (typeof payment === "string" ? payment : payment?.id) ?? null;
}

/** Money Whop states is never negative; a negative amount is refused rather than counted. */
function notNegative(id: string, field: string, amount: string | null | undefined): void {
  if (amount?.startsWith("-")) throw new PayloadError(`${id}: ${field} ${amount} is negative; refused`);
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
