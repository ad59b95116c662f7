/**
 * Maps an Elective Zapier event to the common records (the record model, README "Elective revenue
 * rules"). Every feed record lives in scope `elective:zapier`, one record per fact, keyed by what
 * the fact is, so a repeat of an event is the same record and a new event is a new one:
 *
 * - `sale:<order>` (Order Completed): a Funding (or Pay In Full) order counts its total on its
 *   purchase date; an In-House plan's sale is kept with its total but counts nothing itself.
 * - `installment:<order>:<date>:<amount>` (Installment Charged): an In-House installment counts
 *   its amount on the day it was charged.
 * - `refund:<order>` (Order Refunded) and `cancel:<order>` (Order Canceled) count nothing
 *   themselves. The database (migration `…_elective_feed.sql`) sets the refunded amount of the
 *   order's counted sale and installments to what they counted, so a refunded order nets to zero;
 *   a cancellation changes nothing, so a canceled plan keeps what was charged before it.
 *
 * `<order>` is Elective's order id when the Zap maps one, else a hash of the checkout id, the
 * purchase time and the order total (the email is left out: it may be corrected later). The
 * order's person is the email of its latest event (set by the database across its records).
 */
import type { SourceRecord } from "../../sync/record.ts";
import { PayloadError } from "../../errors.ts";
import { headerKey } from "../tabular/detect-columns.ts";
import { rowHashSync } from "../tabular/row-hash.ts";
import { canonicalAmount, electiveMatchKey } from "./match-key.ts";
import { isInHouse, type ZapierEvent } from "./zapier-schema.ts";

/** The scope of every record the feed writes. */
export const ELECTIVE_FEED_SCOPE = "elective:zapier";

/**
 * The order an event is about: `id:<order_id>`; else `h:<hash>` of checkout, purchase time and
 * total; else (a Zap that maps neither) `e:<hash>` of checkout, email and total, which a corrected
 * email then cannot follow.
 *
 * @throws PayloadError when the event names no order id, and no total with a purchase date or email.
 */
export function orderIdentity(event: ZapierEvent): string {
  if (event.orderId !== null) return `id:${event.orderId}`;
  const checkout = event.checkoutId ?? "";
  if (event.orderTotal !== null && event.purchaseDate !== null) {
    const purchased = event.purchaseDate.toISOString();
    return `h:${rowHashSync({ checkout, purchased, total: canonicalAmount(event.orderTotal) }, 0)}`;
  }
  if (event.orderTotal !== null && event.email !== null) {
    const email = event.email.trim().toLowerCase();
    return `e:${rowHashSync({ checkout, email, total: canonicalAmount(event.orderTotal) }, 0)}`;
  }
  throw new PayloadError(
    "cannot tell which order this is: map order_id, or order_total with purchase_date (or customer_email)",
  );
}

/**
 * The event's content identity (event, order, amount, installment date): the delivery id, so a
 * repeat Zapier sends is a duplicate and a new event for the same order is not.
 */
export function eventIdentity(event: ZapierEvent): string {
  const order = orderIdentity(event);
  if (event.event === "installment_charged") {
    return `${event.event}|${order}|${canonicalAmount(event.installmentAmount!)}|${
      event.installmentDate!.toISOString()
    }`;
  }
  return `${event.event}|${order}|${canonicalAmount(event.orderTotal!)}`;
}

/** The record one event becomes. */
export function zapierEventToRecords(event: ZapierEvent): { records: SourceRecord[] } {
  const order = orderIdentity(event);
  const sale = `sale:${order}`;
  const common = {
    scope: ELECTIVE_FEED_SCOPE,
    email: event.email,
    name: event.name,
    raw: event.raw,
    // Zapier's events carry no time of their own: the arrival decides which email is latest.
    changedAt: null,
    currency: event.currency,
  };
  switch (event.event) {
    case "order_completed": {
      // Elective pays a Funding (or Pay In Full) order in full up front; In-House pays per installment.
      const counted = !isInHouse(event.type);
      return {
        records: [{
          ...common,
          key: sale,
          amount: event.orderTotal,
          date: event.purchaseDate,
          revenue: counted,
          refunded: counted ? "0" : null,
          parentKey: electiveMatchKey({
            date: event.purchaseDate,
            total: event.orderTotal,
            name: event.name,
            product: event.product,
          }),
        }],
      };
    }
    case "installment_charged": {
      // A Funding order's installments are Elective's to collect: the merchant was paid up front.
      const counted = event.type === null || isInHouse(event.type);
      const amount = event.installmentAmount!;
      return {
        records: [{
          ...common,
          key: `installment:${order}:${event.installmentDate!.toISOString()}:${canonicalAmount(amount)}`,
          amount,
          date: event.installmentDate,
          revenue: counted,
          refunded: counted ? "0" : null,
          parentKey: sale,
        }],
      };
    }
    case "order_refunded":
    case "order_canceled":
      return {
        records: [{
          ...common,
          key: `${event.event === "order_refunded" ? "refund" : "cancel"}:${order}`,
          amount: event.orderTotal,
          date: event.purchaseDate,
          revenue: false,
          parentKey: sale,
        }],
      };
  }
}

/** The event name a stored delivery is listed under (`webhook_events.event_type`). */
export function zapierEventType(json: unknown): string | null {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const entry = Object.entries(json).find(([key]) => headerKey(key) === "event");
  return typeof entry?.[1] === "string" ? entry[1].slice(0, 60) : null;
}
