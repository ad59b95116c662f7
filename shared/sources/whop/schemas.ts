/**
 * Zod schemas for what Whop sends: the v1 webhook envelope, the legacy v5 envelope, and the
 * payment, membership and refund objects (sources.md 2.3, legacy shapes from [OLD] webhook-types.ts).
 *
 * Every object schema is loose: Whop adds fields between API versions and we keep them. Every field
 * we do not need to identify a record is optional and nullable. Timestamps arrive as ISO text in the
 * examples but some descriptions say Unix seconds, so both parse to a `Date`; money arrives as a JSON
 * number in major units (or, tolerated, numeric text) and parses to an exact decimal string.
 */

import { z } from "zod";
import { PayloadError } from "../../errors.ts";
import { whopMoney } from "./whop-money.ts";

/**
 * Unix values above this are milliseconds, not seconds: as seconds they would be past the year 5000.
 */
const MILLISECONDS_THRESHOLD = 1e11;

/** Unix seconds (number or numeric text; milliseconds tolerated) or date text, as a `Date`; `null` if neither. */
export function whopTime(value: string | number): Date | null {
  const text = typeof value === "string" ? value.trim() : "";
  const unix = typeof value === "number" ? value : /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : null;
  const date = unix !== null
    ? new Date(Math.abs(unix) >= MILLISECONDS_THRESHOLD ? unix : unix * 1000)
    : new Date(text === "" ? NaN : Date.parse(text));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A timestamp: ISO text or Unix seconds (number or numeric text), normalised to `Date`. */
export const whopTimestamp = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const date = whopTime(value);
  if (date) return date;
  ctx.addIssue({ code: "custom", message: `not a timestamp: ${JSON.stringify(value).slice(0, 40)}` });
  return z.NEVER;
});

/** Money in major units, a JSON number or numeric text, as an exact decimal string. */
export const whopAmount = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const amount = whopMoney(value);
  if (amount !== null) return amount;
  ctx.addIssue({ code: "custom", message: `not an amount: ${JSON.stringify(value).slice(0, 40)}` });
  return z.NEVER;
});

const text = z.string().nullish();
const time = whopTimestamp.nullish();
const money = whopAmount.nullish();

/**
 * A related record, nested (`{ id, … }`) up to pin 2026-07-20 and a bare id from 2026-09-15
 * (sources.md 2.4), so both are accepted.
 */
function related<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.union([z.string(), z.looseObject({ id: text, ...shape })]).nullish();
}

/** The buyer as Whop embeds it; `email` is null without the `member:email:read` permission. */
export const whopUser = z.looseObject({ id: text, email: text, name: text, username: text });

/** A payment (v1 REST shape; the legacy v5 "receipt" fields `final_amount`, `membership_id` too). */
export const whopPayment = z.looseObject({
  id: z.string().min(1),
  status: text,
  substatus: text,
  billing_reason: text,
  currency: text,
  total: money,
  subtotal: money,
  usd_total: money,
  amount_after_fees: money,
  refunded_amount: money,
  tax_amount: money,
  final_amount: money,
  created_at: time,
  updated_at: time,
  paid_at: time,
  refunded_at: time,
  user: related({ email: text, name: text, username: text }),
  membership: related({ status: text }),
  product: related({ title: text }),
  user_id: text,
  membership_id: text,
  product_id: text,
});
export type WhopPayment = z.output<typeof whopPayment>;

/** A membership (v1 has `status` only; legacy v5 adds `valid`). */
export const whopMembership = z.looseObject({
  id: z.string().min(1),
  status: text,
  valid: z.boolean().nullish(),
  cancel_at_period_end: z.boolean().nullish(),
  currency: text,
  created_at: time,
  updated_at: time,
  renewal_period_start: time,
  renewal_period_end: time,
  expires_at: time,
  canceled_at: time,
  user: related({ email: text, name: text, username: text }),
  plan: related({}),
  product: related({ title: text }),
  user_id: text,
  plan_id: text,
  product_id: text,
});
export type WhopMembership = z.output<typeof whopMembership>;

/** The buyer, embedded or as a bare id. */
const buyer = related({ email: text, name: text, username: text });

/**
 * A refund of a payment (no `updated_at` in v1; legacy v5 adds `payment_id`). It carries no `user`:
 * the buyer is the payment's, at `payment.user` (sources.md §9).
 */
export const whopRefund = z.looseObject({
  id: z.string().min(1),
  amount: money,
  currency: text,
  status: text,
  provider: text,
  created_at: time,
  updated_at: time,
  payment: related({ user: buyer }),
  payment_id: text,
  user: buyer,
});
export type WhopRefund = z.output<typeof whopRefund>;

/**
 * A dispute (chargeback) of a payment (`@whop/sdk` `Dispute`): `status` is one of
 * `warning_needs_response|warning_under_review|warning_closed|needs_response|under_review|won|lost|
 * closed|other`; newer pins name the buyer in `buyer`.
 */
export const whopDispute = z.looseObject({
  id: z.string().min(1),
  amount: money,
  currency: text,
  status: text,
  created_at: time,
  updated_at: time,
  payment: related({ user: buyer }),
  payment_id: text,
  buyer: buyer,
  user: buyer,
});
export type WhopDispute = z.output<typeof whopDispute>;

const dataObject = z.record(z.string(), z.unknown());

/**
 * The v1 envelope. From pin 2026-08-14 `account_id` replaces `company_id`, so both are optional.
 * `data` is the REST object; it is validated per event type by the mapper, not here.
 */
export const whopEventEnvelope = z.looseObject({
  id: text,
  api_version: text,
  api_version_date: text,
  timestamp: time,
  type: z.string().min(1),
  company_id: text,
  account_id: text,
  data: dataObject,
  previous_attributes: z.unknown().optional(),
});
export type WhopEventEnvelope = z.output<typeof whopEventEnvelope>;

/** The legacy v2/v5 envelope: `{ action, api_version?, data }`, no delivery id or send time. */
export const whopLegacyEnvelope = z.looseObject({
  action: z.string().min(1),
  api_version: text,
  data: dataObject,
});
export type WhopLegacyEnvelope = z.output<typeof whopLegacyEnvelope>;

/**
 * Parses `value` with `schema`, or throws a `PayloadError` naming `what` and the first issue on one
 * line (all issues attached for the operator).
 */
export function parseWhop<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  throw new PayloadError(`invalid ${what}: ${path}: ${issue.message}`, result.error.issues);
}
