/**
 * sheetRowMapper: the RowMapper of a logged-sales sheet, deciding from the header row which column
 * holds the email, name, amount, date and currency. A pull builds one per read, from its first
 * chunk, so the column detection is done once and reported, and identical rows are counted across
 * chunks.
 */

import { PayloadError } from "../../errors.ts";
import { type ColumnMap, detectColumns } from "../tabular/detect-columns.ts";
import { RowHasher } from "../tabular/row-hash.ts";
import { listHeaders, type RowMapperFactory } from "../tabular/row-mapper.ts";
import { mapSheetRows } from "./map-sheet-row.ts";

/**
 * Remembers the hash of every row, in order, so a row the mapper refused can still be reported
 * under its key: a full pull then counts it as seen instead of refusing to delete anything.
 */
class RecordingHasher extends RowHasher {
  hashes: string[] = [];
  override hash(row: Record<string, unknown>): string {
    const hash = super.hash(row);
    this.hashes.push(hash);
    return hash;
  }
}

/**
 * The mapper of a logged-sales sheet (`kind` SHEET): `column_map` entries win, the usual headers
 * are detected for the rest. Refuses a sheet without an email column, or whose `column_map` names
 * a header the sheet does not have.
 *
 * @example
 * const mapper = sheetRowMapper({ scope: source.url, columnMap: source.columnMap })(firstChunk);
 * mapper.columns // ["email ← 'Email'", "amount ← 'Total' (column_map)"]
 */
export function sheetRowMapper(options: { scope: string; columnMap: ColumnMap }): RowMapperFactory {
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
    const hasher = new RecordingHasher();
    return {
      columns: detection.detected,
      map(chunk) {
        hasher.hashes = [];
        const mapped = mapSheetRows(chunk, { sourceUrl: options.scope, columns: detection.map, hasher });
        const unmapped = mapped.failures.map((failure) => ({
          key: hasher.hashes[chunk.rowNumbers.indexOf(failure.rowNumber)] ?? null,
          reason: failure.reason,
        }));
        return { records: mapped.records, unmapped };
      },
    };
  };
}
