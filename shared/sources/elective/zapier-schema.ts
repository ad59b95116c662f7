/**
 * ZapierEvent: one Elective order event as a "Webhooks by Zapier → POST" step sends it: a flat JSON
 * object of the data pairs the README has the user map (interfaces.md, `elective-webhook`). Zapier
 * writes values as text (`$1,799.99`, `2024-03-04T15:22:10Z`); money is read by the tabular money
 * parser, so it is exact, and dates by the sheet date parser. Keys are matched whatever their case
 * and spacing (`Order Total` is `order_total`); unknown keys stay in the raw record.
 */
import { z } from "zod";
import { PayloadError } from "../../errors.ts";
import { headerKey } from "../tabular/detect-columns.ts";
import { currencyOf } from "../tabular/currency-code.ts";
import { parseMoneyCell } from "../tabular/parse-money-cell.ts";
import { parseSheetDate } from "../tabular/parse-date.ts";

/** The Zapier triggers Elective documents that carry money (sources.md §5). */
export const ZAPIER_EVENTS = [
  "order_completed",
  "order_refunded",
  "order_canceled",
  "installment_charged",
] as const;
export type ZapierEventName = (typeof ZAPIER_EVENTS)[number];

/** A value a flat object may hold. */
const flatValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const flatObject = z.record(z.string(), flatValue);

/** One event, read. Money is an exact decimal string; `null` where the event does not say. */
export interface ZapierEvent {
  event: ZapierEventName;
  email: string | null;
  name: string | null;
  orderId: string | null;
  checkoutId: string | null;
  /** Not among interfaces.md's keys; mapped from Zapier's `Cart Items Name` when the Zap has it. */
  product: string | null;
  orderTotal: string | null;
  currency: string | null;
  term: string | null;
  /** `Funding`, `In-House`, `Pay In Full` as sent, or `null`. */
  type: string | null;
  fees: string | null;
  netAmount: string | null;
  purchaseDate: Date | null;
  installmentAmount: string | null;
  installmentDate: Date | null;
  /** The body as sent. */
  raw: Record<string, string | number | boolean | null>;
}

// "1,799" or "1.799": a thousands separator or a decimal mark? Zapier's text carries no locale.
const LONE_SEPARATOR = /^[^\d]*\d{1,3}[.,]\d{3}[^\d]*$/;

/**
 * Reads a payload; throws PayloadError with a one-line reason when it is not a flat JSON object,
 * names no known event, lacks the money the event needs, or holds an ambiguous amount or date.
 *
 * @example
 * parseZapierEvent({ event: "order_completed", order_total: "$1,799.99", customer_email: "a@x.com" })
 *   .orderTotal // "1799.99"
 */
export function parseZapierEvent(payload: unknown): ZapierEvent {
  const parsed = flatObject.safeParse(payload);
  if (!parsed.success) throw new PayloadError(notFlatReason(payload), parsed.error.issues);
  const raw = parsed.data;
  const byKey = new Map(Object.entries(raw).map(([key, value]) => [headerKey(key), value]));
  const text = (key: string): string | null => {
    const value = byKey.get(headerKey(key));
    if (value === null || value === undefined || typeof value === "boolean") return null;
    const trimmed = String(value).trim();
    return trimmed === "" ? null : trimmed;
  };

  const eventText = text("event");
  if (eventText === null) throw new PayloadError(`no 'event' (one of ${ZAPIER_EVENTS.join(", ")})`);
  const event = ZAPIER_EVENTS.find((name) => headerKey(name) === headerKey(eventText));
  if (!event) {
    throw new PayloadError(`unknown event '${eventText.slice(0, 60)}' (one of ${ZAPIER_EVENTS.join(", ")})`);
  }

  const currencyText = text("currency");
  const currency = currencyText === null ? null : currencyOf(currencyText);
  if (currencyText !== null && currency === null) {
    throw new PayloadError(`currency '${currencyText.slice(0, 20)}' is not an ISO 4217 code`);
  }
  const money = (key: string): string | null => {
    const value = byKey.get(headerKey(key));
    const shown = text(key);
    if (shown === null) return null;
    if (typeof value === "string" && LONE_SEPARATOR.test(shown)) {
      throw new PayloadError(`${key} '${shown}' is ambiguous: a thousands separator or a decimal mark?`);
    }
    const result = parseMoneyCell(value as string | number, currency, { shown, owner: "order" });
    if (!result.ok) throw new PayloadError(`${key}: ${result.reason}`);
    return result.amount;
  };
  const date = (key: string): Date | null => {
    const shown = text(key);
    if (shown === null) return null;
    const result = parseSheetDate(shown);
    if (!result.ok) throw new PayloadError(`${key}: ${result.reason}`);
    return result.date;
  };

  const read: ZapierEvent = {
    event,
    email: text("customer_email"),
    name: text("customer_name"),
    orderId: text("order_id"),
    checkoutId: text("checkout_id"),
    product: text("product"),
    orderTotal: money("order_total"),
    currency,
    term: text("term"),
    type: text("type"),
    fees: money("fees"),
    netAmount: money("net_amount"),
    purchaseDate: date("purchase_date"),
    installmentAmount: money("installment_amount"),
    installmentDate: date("installment_date"),
    raw,
  };
  if (event === "installment_charged") {
    if (read.installmentAmount === null) {
      throw new PayloadError("installment_charged without installment_amount");
    }
    if (read.installmentDate === null) throw new PayloadError("installment_charged without installment_date");
  } else if (read.orderTotal === null) {
    throw new PayloadError(`${event} without order_total`);
  }
  return read;
}

/** True for an In-House plan (Elective's Payment Plan Management: the merchant is paid per installment). */
export function isInHouse(type: string | null): boolean {
  return type !== null && headerKey(type) === "inhouse";
}

function notFlatReason(payload: unknown): string {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    const what = Array.isArray(payload) ? "an array" : payload === null ? "null" : typeof payload;
    return `the body is not a flat JSON object (it is ${what})`;
  }
  const nested = Object.entries(payload).find(([, value]) => typeof value === "object" && value !== null);
  return nested
    ? `the body is not a flat JSON object: '${nested[0].slice(0, 60)}' holds ${
      Array.isArray(nested[1]) ? "an array" : "an object"
    } (map each field to its own key)`
    : "the body is not a flat JSON object";
}
