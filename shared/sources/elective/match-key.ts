/**
 * electiveMatchKey: what an order from Elective's Zapier feed and the same order in an orders
 * export both carry, written as one comparable string. The export has no email and no order id,
 * so the two are matched on the purchase time (to the minute, in UTC: one export layout shows
 * `Mar 4, 2024 3:22 PM`), the order total, the buyer's name and the product.
 *
 * The key is stored in `parent_key` of a feed sale and of an export row
 * (`m:<minute>|<total>|<name>#<product>`); the migration `…_elective_feed.sql` links an export row
 * to the one feed sale with the same part before `#` whose product agrees (either side may lack
 * one).
 */

/** The fields both sides carry; the key is `null` when the time, total or name is missing. */
export interface MatchFields {
  date: Date | null;
  /** An exact decimal string (`"1799.99"`). */
  total: string | null;
  name: string | null;
  product: string | null;
}

/**
 * @example
 * electiveMatchKey({ date: new Date("2024-03-04T15:22:10Z"), total: "1799.990", name: " Ann  LEE",
 *                    product: "Coaching Program" })
 * // "m:2024-03-04T15:22|1799.99|ann lee#coaching program"
 */
export function electiveMatchKey(fields: MatchFields): string | null {
  const name = normalText(fields.name);
  if (!fields.date || Number.isNaN(fields.date.getTime()) || !fields.total || !name) return null;
  const minute = fields.date.toISOString().slice(0, 16);
  return `m:${minute}|${canonicalAmount(fields.total)}|${name.replaceAll("#", " ")}#${
    normalText(fields.product)
  }`;
}

/** Case, width and spacing do not tell two names or products apart. */
export function normalText(text: string | null | undefined): string {
  return (text ?? "").normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

/** `1800.00`, `1800` and `01800.0` are one amount. */
export function canonicalAmount(amount: string): string {
  const negative = amount.startsWith("-");
  let digits = negative ? amount.slice(1) : amount;
  if (digits.includes(".")) digits = digits.replace(/0+$/, "").replace(/\.$/, "");
  digits = digits.replace(/^0+(?=\d)/, "");
  return negative && digits !== "0" ? `-${digits}` : digits;
}
