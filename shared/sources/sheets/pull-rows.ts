/**
 * Where a pull's rows come from: a CSV link streamed without credentials, or a Sheets API range
 * read page by page with the configured Google credentials. Both yield the same `RowChunk`s.
 */

import { ConfigError } from "../../errors.ts";
import { env } from "../../env.ts";
import { csvRows } from "../tabular/csv-stream.ts";
import { fetchCsv, type FetchCsvOptions } from "./fetch-csv.ts";
import { toCsvSource } from "./google-url.ts";
import { readSheetRows, type SheetsApiOptions } from "./sheets-api.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";

/** How to reach the rows. */
export interface SheetRowsOptions {
  /** Rows per chunk (default 1000). */
  chunkRows?: number;
  /** Download settings for CSV links (retries, timeouts, a test `fetch`). */
  csv?: FetchCsvOptions;
  /** Sheets API settings (credentials, base URL, retries); credentials default to the environment. */
  sheetsApi?: SheetsApiOptions;
}

/**
 * Streams the rows of a stored source URL (see `resolveSheetUrl`) in chunks. The download starts
 * when the first chunk is asked for; stopping early cancels it.
 *
 * @throws ConfigError for a Sheets API source when no Google credentials are configured;
 *   UpstreamError / PayloadError (from the download or the parser) with one line.
 */
export async function* sheetRows(
  url: string,
  options: SheetRowsOptions = {},
): AsyncGenerator<RowChunk<unknown>> {
  const location = toCsvSource(url);
  const chunkRows = options.chunkRows ?? 1000;
  if (location.kind === "csv") {
    yield* csvRows(await fetchCsv(location.url, options.csv), { chunkRows });
    return;
  }
  if (!options.sheetsApi?.auth && !env("GOOGLE_SERVICE_ACCOUNT_JSON") && !env("GOOGLE_API_KEY")) {
    throw new ConfigError(
      "this source is a Sheets API range: set GOOGLE_SERVICE_ACCOUNT_JSON (and share the sheet with its " +
        "client_email) or GOOGLE_API_KEY, or add the sheet by its link to read it as CSV",
    );
  }
  yield* readSheetRows({
    ...options.csv,
    ...options.sheetsApi,
    spreadsheetId: location.spreadsheetId,
    range: location.range,
    pageRows: chunkRows,
  });
}
