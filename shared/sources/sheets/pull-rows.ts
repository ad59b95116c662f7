/**
 * Where a pull's rows come from: a CSV link streamed without credentials, or a Sheets API range
 * read page by page with the configured Google credentials. Both yield the same `RowChunk`s.
 */

import { ConfigError } from "../../errors.ts";
import { env } from "../../env.ts";
import { csvRows } from "../tabular/csv-stream.ts";
import { type CsvDownload, fetchCsvBody, type FetchCsvOptions } from "./fetch-csv.ts";
import { toCsvSource } from "./google-url.ts";
import { readSheetRows, type SheetsApiOptions } from "./sheets-api.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";

/** Filled in by {@link sheetRows} once the rows have ended. */
export interface RowsEnd {
  /** Why the set read cannot be taken as the whole sheet (nothing may be soft-deleted), or `null`. */
  unverified: string | null;
}

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
 * A CSV body whose end cannot be verified (no Content-Length, not chunked: it ends when the
 * connection closes, cut short or not) is read one chunk behind, and unless its last byte is a
 * line break its last row is held back (a cut `1700.17` would read `17`); either way `end` is told
 * why the read is not known to be whole.
 *
 * @throws ConfigError for a Sheets API source when no Google credentials are configured;
 *   UpstreamError / PayloadError (from the download or the parser) with one line.
 */
export async function* sheetRows(
  url: string,
  options: SheetRowsOptions = {},
  end: RowsEnd = { unverified: null },
): AsyncGenerator<RowChunk<unknown>> {
  const location = toCsvSource(url);
  const chunkRows = options.chunkRows ?? 1000;
  if (location.kind === "csv") {
    const download = await fetchCsvBody(location.url, options.csv);
    const rows = csvRows(download.body, { chunkRows });
    if (download.endVerified) yield* rows;
    else yield* holdBackUnterminated(rows, download, end);
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

const UNVERIFIED = "the download's end could not be verified (no Content-Length, not chunked)";

/** The chunks of an unverifiable body, one behind, its last row held back unless a line break ended it. */
async function* holdBackUnterminated(
  chunks: AsyncGenerator<RowChunk<string>>,
  download: CsvDownload,
  end: RowsEnd,
): AsyncGenerator<RowChunk<unknown>> {
  let behind: RowChunk<string> | null = null;
  for await (const chunk of chunks) {
    if (behind) yield behind;
    behind = chunk;
  }
  if (behind === null) return;
  const last = behind.rowNumbers.length - 1;
  if (download.endedWithLineBreak() || last < 0) {
    end.unverified = `${UNVERIFIED}; nothing was soft-deleted`;
  } else {
    end.unverified = `${UNVERIFIED} and it did not end with a line break: row ${
      behind.rowNumbers[last]
    } may be cut short and was held back; nothing was soft-deleted`;
    behind = {
      ...behind,
      rows: behind.rows.slice(0, last),
      rowNumbers: behind.rowNumbers.slice(0, last),
    };
  }
  yield behind;
}
