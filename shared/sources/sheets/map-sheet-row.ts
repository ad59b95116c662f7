/**
 * Maps one sheet row (a logged sale) to the common `SourceRecord`. A row that states money or a
 * date the parsers cannot read fails alone, with its row number; the rest of the sheet goes on.
 */

import { cellText } from "../tabular/cell-text.ts";
import { currencyOf } from "../tabular/currency-code.ts";
import type { DetectedColumns } from "../tabular/detect-columns.ts";
import { parseMoneyCell } from "../tabular/parse-money-cell.ts";
import { parseSheetDate } from "../tabular/parse-date.ts";
import { type RowHasher, rowHashSync } from "../tabular/row-hash.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";
import type { RowResult } from "../tabular/row-mapper.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { SummaryRows } from "./summary-rows.ts";

/** What a row needs besides its cells. */
export interface SheetRowContext {
  /** The source's URL as configured: the record's scope (a full pull replaces exactly these rows). */
  sourceUrl: string;
  /** Field → header, from `detectColumns`. */
  columns: DetectedColumns;
  /** The row's spreadsheet row number, for messages. */
  rowNumber: number;
  /** Identical rows above this one (see `rowHash`). */
  occurrence: number;
  /** Currency of amounts that state none (ISO code); otherwise they stay unstated (`null`). */
  defaultCurrency?: string;
  /** Read `03/04/2024` day-first. */
  dayFirst?: boolean;
  /** The sheet locale's decimal mark for `1,234`-like amounts. */
  decimal?: "." | ",";
}

/** A chunk mapped row by row: its records, its refused rows (with their keys) and its summary rows. */
export interface SheetMappedChunk {
  records: SourceRecord[];
  failures: { rowNumber: number; reason: string; key: string }[];
  /** Summary rows (`Total` …), skipped before hashing: never a record, never seen by the run. */
  skipped: { rowNumber: number; reason: string }[];
}

/**
 * Maps a row: `key` = `rowHash(row, occurrence)`, `scope` = the source URL, email and name as
 * written (name from first + last when there is no name column), `raw` = the row by header,
 * `changedAt` = null (a sheet does not say when a row changed).
 *
 * Money: a blank amount keeps the row (it may still name a person) with `amount: null` and
 * `revenue: false`; any other amount text must parse, or the row fails. A negative amount
 * (`-50`, `(50.00)`) is a refund: `amount: null`, `refunded: "50"`, so the views count it in
 * refunded_usd and never as negative gross. Currency comes from the currency column, else from the
 * amount text, else `defaultCurrency`, else `null` (unstated). A blank date is `null`; a date that
 * does not parse fails the row.
 */
export function sheetRowToRecord(
  row: Record<string, unknown>,
  ctx: SheetRowContext,
): Promise<RowResult> {
  const read = readRow(row, ctx, ctx.rowNumber);
  if ("reason" in read) return Promise.resolve({ ok: false, rowNumber: ctx.rowNumber, reason: read.reason });
  return Promise.resolve({ ok: true, record: toRecord(read, rowHashSync(row, ctx.occurrence)) });
}

/**
 * Maps a chunk from `csvRows` or `readSheetRows`. Pass one `RowHasher` and one `SummaryRows` for
 * the whole pull, so identical rows in different chunks still count as separate purchases and a
 * total sums the rows of every chunk above it. Summary rows are skipped before hashing, so adding
 * or removing a `Total` row changes no sale's key.
 */
export function mapSheetRows(
  chunk: RowChunk<unknown>,
  ctx: Omit<SheetRowContext, "rowNumber" | "occurrence"> & { hasher: RowHasher; summary?: SummaryRows },
): SheetMappedChunk {
  const out: SheetMappedChunk = { records: [], failures: [], skipped: [] };
  chunk.rows.forEach((row, i) => {
    const rowNumber = chunk.rowNumbers[i];
    const read = readRow(row, ctx, rowNumber);
    const summary = ctx.summary?.judge({
      row,
      amountHeader: ctx.columns.amount,
      hasEmail: read.email !== null,
      hasName: read.name !== null,
      hasDate: read.hasDate,
      amount: "reason" in read ? null : read.amount,
    });
    if (summary) {
      out.skipped.push({ rowNumber, reason: `row ${rowNumber}: ${summary}` });
      return;
    }
    const key = ctx.hasher.hash(row);
    if ("reason" in read) out.failures.push({ rowNumber, reason: read.reason, key });
    else out.records.push(toRecord(read, key));
  });
  return out;
}

type MapContext = Pick<SheetRowContext, "sourceUrl" | "columns" | "defaultCurrency" | "dayFirst" | "decimal">;

/** A row's cells as read, before it has a key; or why it is refused (with what it names). */
type ReadRow =
  & {
    row: Record<string, unknown>;
    sourceUrl: string;
    email: string | null;
    name: string | null;
    hasDate: boolean;
  }
  & ({ amount: string | null; currency: string | null; date: Date | null } | { reason: string });

function readRow(row: Record<string, unknown>, ctx: MapContext, rowNumber: number): ReadRow {
  const { columns } = ctx;
  const cell = (header: string | undefined): unknown => (header === undefined ? undefined : row[header]);
  const email = cellText(cell(columns.email)) || null;
  const name = cellText(cell(columns.name)) ||
    [cellText(cell(columns.firstName)), cellText(cell(columns.lastName))].filter(Boolean).join(" ") || null;
  const dateCell = cell(columns.date);
  // A `Total` label often sits in the date column: only a date that reads is a date.
  const date = cellText(dateCell) === ""
    ? null
    : parseSheetDate(dateCell as string | number, { dayFirst: ctx.dayFirst });
  const base = { row, sourceUrl: ctx.sourceUrl, email, name, hasDate: date?.ok === true };
  const fail = (field: "amount" | "currency" | "date", reason: string): ReadRow => ({
    ...base,
    reason: `row ${rowNumber}, ${field} (column '${columns[field]}'): ${reason}`,
  });

  let amount: string | null = null;
  let currency: string | null = null;
  const amountCell = cell(columns.amount);
  if (cellText(amountCell) !== "") {
    const currencyText = cellText(cell(columns.currency));
    const columnCurrency = currencyText ? currencyOf(currencyText) : null;
    if (currencyText && !columnCurrency) return fail("currency", `'${currencyText}' is not an ISO 4217 code`);
    const money = parseMoneyCell(amountCell as string | number, columnCurrency, {
      shown: cellText(amountCell),
      owner: "row",
      defaultCurrency: ctx.defaultCurrency,
      decimal: ctx.decimal,
    });
    if (!money.ok) return fail("amount", money.reason);
    amount = money.amount;
    currency = money.currency;
  }

  if (date && !date.ok) return fail("date", date.reason);
  return { ...base, amount, currency, date: date?.date ?? null };
}

function toRecord(read: Exclude<ReadRow, { reason: string }>, key: string): SourceRecord {
  const refund = read.amount?.startsWith("-") ? read.amount.slice(1) : null;
  return {
    key,
    scope: read.sourceUrl,
    email: read.email,
    name: read.name,
    raw: read.row,
    changedAt: null,
    // A negative sale is money given back: no gross, the amount refunded (see the views).
    amount: refund === null ? read.amount : null,
    ...(refund === null ? {} : { refunded: refund }),
    currency: read.currency,
    date: read.date,
    // A logged sale (or refund) counts as revenue; a row without money only identifies a person.
    revenue: read.amount !== null,
  };
}
