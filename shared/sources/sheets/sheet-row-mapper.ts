/**
 * RowMapper: turns the chunks of one sheet into records, after deciding from the header row (and
 * a sample of rows) which column means what. A pull builds one per read, from its first chunk, so
 * the column detection is done once and reported, and identical rows are counted across chunks.
 */

import { PayloadError } from "../../errors.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import { type ColumnMap, detectColumns } from "./detect-columns.ts";
import { mapSheetRows } from "./map-sheet-row.ts";
import { RowHasher } from "./row-hash.ts";
import type { RowChunk } from "./sheet-table.ts";

/** A chunk as records, and the rows that could not be mapped (their key when known). */
export interface MappedRows {
  records: SourceRecord[];
  unmapped: RecordError[];
}

/** Maps the chunks of one read, in order. */
export interface RowMapper {
  /** What each field was read from, one line each (`email ← 'E-mail'`), for the operator. */
  columns: string[];
  map(chunk: RowChunk<unknown>): MappedRows;
}

/**
 * Builds the mapper of one read from its first chunk (headers, and rows as a sample).
 *
 * @throws PayloadError with one line when the sheet lacks what the mapper needs.
 */
export type RowMapperFactory = (first: RowChunk<unknown>) => RowMapper;

/** Headers for a message: the first ten, quoted. */
export function listHeaders(headers: readonly string[]): string {
  const shown = headers.slice(0, 10).map((h) => `'${h}'`).join(", ");
  return headers.length > 10 ? `${shown}, … (${headers.length} columns)` : shown;
}

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
