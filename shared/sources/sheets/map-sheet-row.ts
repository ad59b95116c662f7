/**
 * Maps one sheet row (a logged sale) to the common `SourceRecord`. A row that states money or a
 * date the parsers cannot read fails alone, with its row number; the rest of the sheet goes on.
 */

import { cellText } from "../tabular/cell-text.ts";
import { currencyOf } from "../tabular/currency-code.ts";
import type { DetectedColumns } from "../tabular/detect-columns.ts";
import { parseMoneyCell } from "../tabular/parse-money-cell.ts";
import { parseSheetDate } from "../tabular/parse-date.ts";
import { RowHasher, rowHashSync } from "../tabular/row-hash.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";
import type { MappedChunk, RowResult } from "../tabular/row-mapper.ts";

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

/**
 * Maps a row: `key` = `rowHash(row, occurrence)`, `scope` = the source URL, email and name as
 * written (name from first + last when there is no name column), `raw` = the row by header,
 * `changedAt` = null (a sheet does not say when a row changed).
 *
 * Money: a blank amount keeps the row (it may still name a person) with `amount: null` and
 * `revenue: false`; any other amount text must parse, or the row fails. Currency comes from the
 * currency column, else from the amount text, else `defaultCurrency`, else `null` (unstated).
 * A blank date is `null`; a date that does not parse fails the row.
 */
export function sheetRowToRecord(
  row: Record<string, unknown>,
  ctx: SheetRowContext,
): Promise<RowResult> {
  return Promise.resolve(mapRow(row, rowHashSync(row, ctx.occurrence), ctx, ctx.rowNumber));
}

/**
 * Maps a chunk from `csvRows` or `readSheetRows`. Pass one `RowHasher` for the whole pull, so
 * identical rows in different chunks still count as separate purchases.
 */
export function mapSheetRows(
  chunk: RowChunk<unknown>,
  ctx: Omit<SheetRowContext, "rowNumber" | "occurrence"> & { hasher: RowHasher },
): MappedChunk {
  const out: MappedChunk = { records: [], failures: [] };
  chunk.rows.forEach((row, i) => {
    const result = mapRow(row, ctx.hasher.hash(row), ctx, chunk.rowNumbers[i]);
    if (result.ok) out.records.push(result.record);
    else out.failures.push({ rowNumber: result.rowNumber, reason: result.reason });
  });
  return out;
}

type MapContext = Pick<SheetRowContext, "sourceUrl" | "columns" | "defaultCurrency" | "dayFirst" | "decimal">;

function mapRow(
  row: Record<string, unknown>,
  key: string,
  ctx: MapContext,
  rowNumber: number,
): RowResult {
  const { columns } = ctx;
  const fail = (field: string, reason: string): RowResult => ({
    ok: false,
    rowNumber,
    reason: `row ${rowNumber}, ${field}: ${reason}`,
  });
  const cell = (header: string | undefined): unknown => (header === undefined ? undefined : row[header]);

  const email = cellText(cell(columns.email)) || null;
  const name = cellText(cell(columns.name)) ||
    [cellText(cell(columns.firstName)), cellText(cell(columns.lastName))].filter(Boolean).join(" ") || null;

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

  let date: Date | null = null;
  const dateCell = cell(columns.date);
  if (cellText(dateCell) !== "") {
    const parsed = parseSheetDate(dateCell as string | number, { dayFirst: ctx.dayFirst });
    if (!parsed.ok) return fail("date", parsed.reason);
    date = parsed.date;
  }

  return {
    ok: true,
    record: {
      key,
      scope: ctx.sourceUrl,
      email,
      name,
      raw: row,
      changedAt: null,
      amount,
      currency,
      date,
      // A logged sale counts as revenue; a row without money only identifies a person.
      revenue: amount !== null,
    },
  };
}
