/**
 * sheetRowMapper: the RowMapper of a logged-sales sheet, deciding from the header row which column
 * holds the email, name, amount, date and currency. A pull builds one per read, from its first
 * chunk, so the column detection is done once and reported, identical rows are counted across
 * chunks, and a `Total` row is told by the sum of every chunk above it (see `SummaryRows`).
 */

import { PayloadError } from "../../errors.ts";
import { detectColumns } from "../tabular/detect-columns.ts";
import { RowHasher } from "../tabular/row-hash.ts";
import { listHeaders, type RowMapperFactory } from "../tabular/row-mapper.ts";
import type { RowMapperOptions } from "../tabular/tabular-kind.ts";
import { mapSheetRows } from "./map-sheet-row.ts";
import { SummaryRows } from "./summary-rows.ts";

/**
 * The mapper of a logged-sales sheet (`kind` SHEET): `column_map` entries win, the usual headers
 * are detected for the rest. Refuses a sheet without an email column, or whose `column_map` names
 * a header the sheet does not have.
 *
 * @example
 * const mapper = sheetRowMapper({ scope: source.url, columnMap: source.columnMap })(firstChunk);
 * mapper.columns // ["email ← 'Email'", "amount ← 'Total' (column_map)"]
 */
export function sheetRowMapper(options: RowMapperOptions): RowMapperFactory {
  return (first) => {
    const detection = detectColumns(first.headers, options.columnMap);
    if (detection.errors.length > 0) {
      throw new PayloadError(`${detection.errors[0]} (headers: ${listHeaders(first.headers)})`);
    }
    if (detection.map.email === undefined) {
      throw new PayloadError(
        `the header row has no email column (headers: ${listHeaders(first.headers)}); ` +
          `name it in the source's column_map (email=<header>)`,
      );
    }
    const hasher = new RowHasher();
    const summary = new SummaryRows();
    return {
      columns: detection.detected,
      map(chunk) {
        const mapped = mapSheetRows(chunk, {
          sourceUrl: options.scope,
          columns: detection.map,
          decimal: options.decimal,
          hasher,
          summary,
        });
        // A refused row is reported under its key, so a full pull counts it as seen instead of
        // refusing to delete anything.
        const unmapped = mapped.failures.map(({ key, reason }) => ({ key, reason }));
        return { records: mapped.records, unmapped, skipped: mapped.skipped };
      },
    };
  };
}
