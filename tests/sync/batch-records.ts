/**
 * Records for the engine's batch tests: Whop payments of 37 buyers, and HighLevel contacts of the
 * same buyers under other names.
 */
import type { SourceRecord } from "../../shared/sync/record.ts";

export const at = (s: string) => new Date(s);

/** Payment `i`, of buyer `i % 37`; `over` replaces any field. */
export function payment(i: number, over: Partial<SourceRecord> = {}): SourceRecord {
  return {
    key: `pay_${String(i).padStart(5, "0")}`,
    scope: "payment",
    email: `buyer${i % 37}@example.com`,
    name: `Buyer ${i % 37}`,
    raw: { id: `pay_${i}`, total: 10 + i, note: `line one\nline two ${i}` },
    changedAt: at("2026-01-01T00:00:00Z"),
    amount: `${10 + i}.00`,
    currency: "USD",
    amountUsd: `${10 + i}.00`,
    revenue: true,
    ...over,
  };
}

/** Payments 0 to n - 1. */
export const batch = (n: number) => Array.from({ length: n }, (_, i) => payment(i));

/** A contact of HighLevel's for buyer `i % 37`, under HighLevel's own name for them. */
export function contact(i: number): SourceRecord {
  return {
    key: `contact_${i}`,
    scope: "loc_1",
    email: `Buyer${i % 37}@Example.com`,
    name: `Contact ${i % 37}`,
    raw: { id: `contact_${i}` },
    changedAt: at("2026-01-01T00:00:00Z"),
  };
}
