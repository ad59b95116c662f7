/**
 * Synthetic Whop payments shaped like the v1 `payment.succeeded` fixture (same fields, similar
 * size), deterministic for a given index, so every run loads the same data.
 */
import type { SourceRecord } from "../shared/sync/record.ts";
import { whopObjectToRecord } from "../shared/sources/whop/map-whop-event.ts";

const PRODUCTS = ["Pickaxe Analytics", "Alpha Signals", "Course Vault", "Trading Desk Pro", "Creator Club"];

/** One payment object as Whop's REST API and webhooks send it. Customers pay about 2.5 times each. */
export function whopPayment(i: number, people: number): Record<string, unknown> {
  const person = i % people;
  const cents = 900 + ((i * 7919) % 49_100);
  const total = cents / 100;
  const created = new Date(Date.UTC(2024, 0, 1) + (i % 700) * 86_400_000 + (i % 86_400) * 1000);
  const updated = new Date(created.getTime() + 5_000);
  return {
    id: `pay_bench${String(i).padStart(9, "0")}`,
    status: "paid",
    substatus: "succeeded",
    billing_reason: i % 3 === 0 ? "subscription_create" : "subscription_cycle",
    currency: "usd",
    subtotal: total,
    total,
    usd_total: total,
    amount_after_fees: Math.round(cents * 0.92) / 100,
    refunded_amount: null,
    tax_amount: 0,
    created_at: created.toISOString(),
    updated_at: updated.toISOString(),
    paid_at: updated.toISOString(),
    refunded_at: null,
    product: { id: `prod_bench${i % PRODUCTS.length}`, title: PRODUCTS[i % PRODUCTS.length] },
    plan: { id: `plan_bench${i % 40}` },
    membership: { id: `mem_bench${person}`, status: "active" },
    user: {
      id: `user_bench${person}`,
      name: `Customer ${person}`,
      username: `customer${person}`,
      email: `Customer.${person}@Example.com`,
    },
    refunds: [],
  };
}

/** `count` payment records, mapped by the project's own Whop mapper. */
export function whopPaymentRecords(count: number, people = Math.ceil(count / 2.5)): SourceRecord[] {
  const records: SourceRecord[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = whopObjectToRecord("payment", whopPayment(i, people));
  return records;
}

/** A `payment.succeeded` webhook body (v1 envelope) around payment `i`. */
export function whopPaymentEvent(i: number, people: number, messageId: string): string {
  return JSON.stringify({
    id: messageId,
    api_version: "v1",
    api_version_date: "2026-07-20",
    timestamp: new Date().toISOString(),
    type: "payment.succeeded",
    company_id: "biz_bench",
    data: whopPayment(i, people),
  });
}
