/**
 * Maps a row of Elective's orders export to the common `SourceRecord`.
 *
 * Identity: Elective exports carry no order id (none is documented), and an order's Status changes
 * over its life (Pending Payment → Approved → Refunded). So the key is a row hash over the fields
 * that do NOT change with status — purchase date, product, order total and currency, each
 * normalised — plus the count of identical orders above. The buyer is not part of it: a later
 * export that corrects an email or a name updates the same record (and moves it to the corrected
 * person) instead of creating a second one. The whole row, status included, is kept in `raw`.
 *
 * `parentKey` carries the order's match key (`electiveMatchKey`: purchase minute, total, name,
 * product), by which the database links the row to the same order from the Zapier feed.
 */

import type { SourceRecord } from "../../sync/record.ts";
import { currencyOf } from "../tabular/currency-code.ts";
import { cellText } from "../tabular/cell-text.ts";
import { headerKey } from "../tabular/detect-columns.ts";
import { parseMoneyCell } from "../tabular/parse-money-cell.ts";
import { parseSheetDate } from "../tabular/parse-date.ts";
import { RowHasher, rowHashSync } from "../tabular/row-hash.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";
import type { MappedChunk, RowResult } from "../tabular/row-mapper.ts";
import { type ElectiveColumns, headerQualifier } from "./elective-columns.ts";
import { canonicalAmount, electiveMatchKey, normalText } from "./match-key.ts";

/** What an Elective row needs besides its cells. */
export interface ElectiveRowContext {
  /** What a full import replaces (e.g. `elective:orders`); the caller's choice. */
  scope: string;
  /** From `detectElectiveColumns`. */
  columns: ElectiveColumns;
  /** The row's number in the export (header = 1), for messages. */
  rowNumber: number;
  /** Orders with the same identity above this one. */
  occurrence: number;
  /** Read `03/04/2024` day-first (Elective is US-based: month-first by default). */
  dayFirst?: boolean;
}

// Normalised status → counts as a sale. Refunded is a sale fully refunded; anything not listed
// (an undocumented status) is not counted until someone says what it means.
const SALE_STATUS: Record<string, boolean> = {
  approved: true,
  refunded: true,
  pendingpayment: false,
  firstpaymentfailed: false,
  cancelled: false,
  canceled: false,
};

type Parsed = { ok: true; record: Omit<SourceRecord, "key">; identity: Record<string, string> } | {
  ok: false;
  rowNumber: number;
  reason: string;
};

/**
 * Maps one order: amount = Order Total (gross) with its currency, date = Purchase Date (UTC),
 * revenue for Approved and Refunded (then `refunded` = the whole amount), not for Pending Payment,
 * First Payment Failed or Cancelled. A blank Order Total keeps the order (a person) with no
 * money and no revenue; unreadable money or dates fail the row with its number.
 */
export function electiveRowToRecord(
  row: Record<string, unknown>,
  ctx: ElectiveRowContext,
): Promise<RowResult> {
  const parsed = parseRow(row, ctx);
  if (!parsed.ok) return Promise.resolve(parsed);
  return Promise.resolve({
    ok: true,
    record: { key: rowHashSync(parsed.identity, ctx.occurrence), ...parsed.record },
  });
}

/**
 * Maps a chunk of an export. Pass one `RowHasher` per import: it counts identical identities
 * across chunks (two same-second purchases of one product by one person stay two orders).
 */
export function mapElectiveRows(
  chunk: RowChunk<unknown>,
  ctx: Omit<ElectiveRowContext, "rowNumber" | "occurrence"> & { hasher: RowHasher },
): MappedChunk {
  const out: MappedChunk = { records: [], failures: [] };
  chunk.rows.forEach((row, i) => {
    const parsed = parseRow(row, { ...ctx, rowNumber: chunk.rowNumbers[i], occurrence: 0 });
    if (!parsed.ok) out.failures.push({ rowNumber: parsed.rowNumber, reason: parsed.reason });
    else out.records.push({ key: ctx.hasher.hash(parsed.identity), ...parsed.record });
  });
  return out;
}

function parseRow(row: Record<string, unknown>, ctx: ElectiveRowContext): Parsed {
  const { columns, rowNumber } = ctx;
  const cell = (header: string | undefined) => (header === undefined ? "" : cellText(row[header]));
  const fail = (field: string, reason: string): Parsed => ({
    ok: false,
    rowNumber,
    reason: `row ${rowNumber}, ${field}: ${reason}`,
  });

  // Without a Currency cell, a qualifier on the total's header ("Order Total (USD)") says it.
  const currencyText = cell(columns.currency) ||
    (currencyOf(headerQualifier(columns.orderTotal) ?? "") ?? "");
  const columnCurrency = currencyText ? currencyOf(currencyText) : null;
  if (currencyText && !columnCurrency) return fail("Currency", `'${currencyText}' is not an ISO 4217 code`);

  let amount: string | null = null;
  let currency = columnCurrency;
  const totalText = cell(columns.orderTotal);
  if (totalText !== "") {
    const total = columns.orderTotal ? row[columns.orderTotal] : "";
    const money = parseMoneyCell(total as string | number, columnCurrency, {
      shown: totalText,
      owner: "order",
    });
    if (!money.ok) return fail("Order Total", money.reason);
    amount = money.amount;
    currency = money.currency;
  }

  let date: Date | null = null;
  if (cell(columns.purchaseDate) !== "") {
    const parsed = parseSheetDate(row[columns.purchaseDate!] as string | number, { dayFirst: ctx.dayFirst });
    if (!parsed.ok) return fail("Purchase Date", parsed.reason);
    date = parsed.date;
  }

  const email = cell(columns.email) || null;
  const name = cell(columns.name) || null;
  const sale = SALE_STATUS[headerKey(cell(columns.status))] ?? false;
  const refunded = headerKey(cell(columns.status)) === "refunded";
  const revenue = sale && amount !== null;

  return {
    ok: true,
    identity: {
      purchase_date: date ? date.toISOString() : cell(columns.purchaseDate),
      product: normalText(cell(columns.product)),
      order_total: amount === null ? "" : canonicalAmount(amount),
      currency: currency ?? "",
    },
    record: {
      scope: ctx.scope,
      email,
      name,
      raw: row,
      // The export says when the order was placed, not when its status last changed.
      changedAt: null,
      amount,
      currency,
      date,
      revenue,
      refunded: revenue ? (refunded ? amount : "0") : null,
      parentKey: electiveMatchKey({ date, total: amount, name, product: cell(columns.product) || null }),
    },
  };
}
