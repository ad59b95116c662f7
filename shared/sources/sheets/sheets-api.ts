/**
 * Reads cell values through the Sheets API v4 (`spreadsheets.values.get`), as raw values: numbers
 * as numbers and dates as serial numbers, so money and dates are never read through a locale.
 */

import { PayloadError, UpstreamError } from "../../errors.ts";
import { envOr } from "../../env.ts";
import { type A1Range, parseA1Range, rowSlice } from "./a1-range.ts";
import { fetchWithGoogleRetry, type GoogleRetryOptions } from "./google-retry-policy.ts";
import { type GoogleAuth, googleAuthFromEnv } from "./google-auth.ts";
import { isBlankRow, type RowChunk, rowRecord, uniqueHeaders } from "../tabular/row-chunk.ts";

/** A cell as `UNFORMATTED_VALUE` renders it. */
export type SheetCell = string | number | boolean;

/** How to reach the API. */
export interface SheetsApiOptions extends GoogleRetryOptions {
  /** Credentials (default: from the environment, built once per process). */
  auth?: GoogleAuth;
  /** API origin (default `GOOGLE_SHEETS_API_BASE`, else `https://sheets.googleapis.com`). */
  baseUrl?: string;
}

/** A range's values, every row padded to the widest one. */
export interface ValueRange {
  /** The range Google resolved, e.g. `'Sales'!A2:F5001`. */
  range: string;
  values: SheetCell[][];
}

let defaultAuth: GoogleAuth | null = null;

/**
 * `GET {base}/v4/spreadsheets/{id}/values/{range}` with `UNFORMATTED_VALUE` and `SERIAL_NUMBER`.
 * An empty range answers `values: []`; ragged rows are padded with `""`. 429 and 5xx are retried
 * (Google asks for exponential backoff); a 401 refreshes the token once. Other failures throw
 * `UpstreamError` with one line, Google's own message included.
 */
export async function getValues(
  opts: { spreadsheetId: string; range: string } & SheetsApiOptions,
): Promise<ValueRange> {
  const auth = opts.auth ?? (defaultAuth ??= googleAuthFromEnv());
  const base = (opts.baseUrl ?? envOr("GOOGLE_SHEETS_API_BASE", "https://sheets.googleapis.com")).replace(
    /\/+$/,
    "",
  );
  const what = "the Sheets API";

  for (let attempt = 1;; attempt++) {
    const url = new URL(
      `${base}/v4/spreadsheets/${encodeURIComponent(opts.spreadsheetId)}/values/${
        encodeURIComponent(opts.range)
      }`,
    );
    url.searchParams.set("valueRenderOption", "UNFORMATTED_VALUE");
    url.searchParams.set("dateTimeRenderOption", "SERIAL_NUMBER");
    url.searchParams.set("majorDimension", "ROWS");
    const headers = new Headers({ accept: "application/json" });
    await auth.authorize(url, headers);
    const response = await fetchWithGoogleRetry(what, url, { headers }, opts);
    const body = await response.json().catch(() => null) as
      | { range?: string; values?: SheetCell[][]; error?: { message?: string } }
      | null;

    if (response.ok) {
      const values = Array.isArray(body?.values) ? body.values : [];
      const width = values.reduce((max, row) => Math.max(max, row.length), 0);
      return {
        range: body?.range ?? opts.range,
        values: values.map((
          row,
        ) => (row.length < width ? [...row, ...Array(width - row.length).fill("")] : row)),
      };
    }
    if (response.status === 401 && attempt === 1) {
      auth.invalidate();
      continue;
    }
    const message = (body?.error?.message ?? "").split("\n")[0].slice(0, 300);
    const detail = message ? `: ${message}` : "";
    if (response.status === 401 || response.status === 403) {
      throw new UpstreamError(
        `Google refused the ${auth.description} (${response.status})${detail}; share the sheet with it or check the key`,
        response.status,
      );
    }
    if (response.status === 404) {
      throw new UpstreamError(`no spreadsheet ${opts.spreadsheetId} (404)${detail}`, 404);
    }
    throw new UpstreamError(
      `${what} answered ${response.status} for ${opts.range}${detail}`,
      response.status,
    );
  }
}

/**
 * Reads a range in slices of `pageRows` rows (default 5000, well under Google's ~2 MB advice),
 * yielding chunks shaped like `csvRows`'s: the header is the range's first row, `rowNumbers` are
 * the sheet's. `startRow` resumes at a data row (a checkpoint). The pull ends at the range's last
 * row, at the sheet's last row, or at the first slice that is entirely empty (so a gap of more
 * than `pageRows` blank rows ends the sheet).
 *
 * @example
 * for await (const chunk of readSheetRows({ spreadsheetId, range: "'Sales'!A1:Z" })) { ... }
 */
export async function* readSheetRows(
  opts: { spreadsheetId: string; range: string; pageRows?: number; startRow?: number } & SheetsApiOptions,
): AsyncGenerator<RowChunk<SheetCell>> {
  const parsed: A1Range | null = opts.range.trim() === ""
    ? { sheet: null, startColumn: null, startRow: null, endColumn: null, endRow: null }
    : parseA1Range(opts.range);
  if (!parsed) throw new PayloadError(`'${opts.range}' is not a range in A1 notation`);
  const pageRows = Math.max(1, opts.pageRows ?? 5000);
  const headerRow = parsed.startRow ?? 1;
  const lastRow = parsed.endRow ?? Number.POSITIVE_INFINITY;

  const head = await getValues({ ...opts, range: rowSlice(parsed, headerRow, headerRow) });
  if (head.values.length === 0 || isBlankRow(head.values[0])) {
    throw new PayloadError(
      `the sheet has no header row (row ${headerRow} of ${opts.range || "the first tab"} is empty)`,
    );
  }
  const headers = uniqueHeaders(head.values[0]);

  let yielded = false;
  for (let first = Math.max(opts.startRow ?? headerRow + 1, headerRow + 1); first <= lastRow;) {
    let last = Math.min(first + pageRows - 1, lastRow);
    let slice: ValueRange;
    try {
      slice = await getValues({ ...opts, range: rowSlice(parsed, first, last) });
    } catch (error) {
      // Asking past the sheet's grid is a 400 "exceeds grid limits. Max rows: N": the end.
      const maxRows = gridRows(error);
      if (maxRows === null) throw error;
      if (first > maxRows) break;
      last = maxRows;
      slice = await getValues({ ...opts, range: rowSlice(parsed, first, last) });
    }
    if (slice.values.length === 0) break;

    const rows: Record<string, SheetCell>[] = [];
    const rowNumbers: number[] = [];
    slice.values.forEach((cells, i) => {
      if (isBlankRow(cells)) return;
      rows.push(rowRecord(headers, cells, ""));
      rowNumbers.push(first + i);
    });
    if (rows.length > 0) {
      yielded = true;
      yield { headers, rows, rowNumbers, firstRowNumber: rowNumbers[0] };
    }
    first = last + 1;
  }
  if (!yielded) yield { headers, rows: [], rowNumbers: [], firstRowNumber: headerRow + 1 };
}

function gridRows(error: unknown): number | null {
  if (!(error instanceof UpstreamError) || error.status !== 400) return null;
  const m = /exceeds grid limits.*?max rows: (\d+)/i.exec(error.message);
  return m ? Number(m[1]) : null;
}
