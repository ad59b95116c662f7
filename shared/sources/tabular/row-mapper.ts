/**
 * RowMapper: what a tabular source plugs into a read. Its factory sees the first chunk (headers,
 * and rows as a sample), decides which column means what, and returns the mapper that turns every
 * chunk of that read into records, so the detection is done once and identical rows are counted
 * across chunks.
 */

import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import type { RowChunk } from "./row-chunk.ts";

/** A mapped row, or why it failed. */
export type RowResult =
  | { ok: true; record: SourceRecord }
  | { ok: false; rowNumber: number; reason: string };

/** A chunk mapped row by row: its records and its failed rows. */
export interface MappedChunk {
  records: SourceRecord[];
  failures: { rowNumber: number; reason: string }[];
}

/** A chunk as records, and the rows that could not be mapped (their key when known). */
export interface MappedRows {
  records: SourceRecord[];
  unmapped: RecordError[];
  /** Rows that are no record at all (a sheet's `Total` row), with why; not written, not failed. */
  skipped?: { rowNumber: number; reason: string }[];
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
