/**
 * mappedChunks: the rows of a pull as they stream from the download, a chunk at a time, mapped to
 * records, so memory holds one chunk, not the sheet. A pull that had to stop between chunks (its
 * time budget was spent) reads the sheet again from the top on the next invocation: the rows
 * already written are mapped without being yielded (so identical rows are counted the same way)
 * and the chunks after them go on. `streamIntoRun` writes them all through a run in one go.
 */

import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import type { RowMapper, RowMapperFactory } from "./row-mapper.ts";
import type { RowChunk } from "./row-chunk.ts";
import { KeyTally } from "./key-tally.ts";

/** Where a sliced read stands: data rows already written, and their tally. */
export interface StreamPosition {
  rowsDone: number;
  tally: string;
}

/** Options of {@link mappedChunks} and {@link streamIntoRun}. */
export interface StreamOptions {
  /** Resume after these rows, checking that they are still the same; default: from the top. */
  resume?: StreamPosition;
  /** Called once the columns are known. */
  onColumns?: (columns: string[]) => void;
}

/** One chunk's rows past the resume point, mapped, with where the read stands after them. */
export interface MappedChunk extends StreamPosition {
  records: SourceRecord[];
  /** Rows the mapper refused; they count as failed (see `SyncRun.write`). */
  unmapped: RecordError[];
  /** Rows the mapper skipped as no record at all (a `Total` row), with why. */
  skipped?: { rowNumber: number; reason: string }[];
}

/** How a read ended. */
export interface StreamOutcome extends StreamPosition {
  /** The column detection, one line per field. */
  columns: string[];
  /** Data rows written (or refused) by this call, skipped rows excluded. */
  rowsThisCall: number;
}

/** The rows read again on resume differ from those written before: the sheet changed between slices. */
export class SheetChangedError extends Error {
  constructor() {
    super("the sheet changed while it was read in slices");
    this.name = "SheetChangedError";
  }
}

/** Writes one chunk's records; `unmapped` rows count as failed (see `SyncRun.write`). */
export type WriteChunk = (records: SourceRecord[], unmapped: RecordError[]) => Promise<unknown>;

/**
 * The chunks of `chunks` past the resume point, mapped, one at a time: the next chunk is read
 * only when asked for, and closing the generator early cancels the source. A sliced pull reads
 * its pages from here (see `pullSheetSource`).
 *
 * @throws PayloadError when the mapper refuses the sheet (no email column, ...), SheetChangedError
 *   when resumed rows differ, and whatever the chunk source throws (UpstreamError, ...).
 */
export async function* mappedChunks(
  chunks: AsyncIterable<RowChunk<unknown>>,
  mapperFor: RowMapperFactory,
  options: StreamOptions = {},
): AsyncGenerator<MappedChunk, void> {
  const skipRows = options.resume?.rowsDone ?? 0;
  const tally = new KeyTally();
  const iterator = chunks[Symbol.asyncIterator]();
  let mapper: RowMapper | null = null;
  let rowsDone = 0;

  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const chunk = next.value;
      if (mapper === null) {
        mapper = mapperFor(chunk);
        options.onColumns?.(mapper.columns);
      }
      const skip = Math.min(chunk.rows.length, Math.max(0, skipRows - rowsDone));
      if (skip > 0) {
        const seen = mapper.map(sliceChunk(chunk, 0, skip));
        addToTally(tally, seen.records, seen.unmapped);
        rowsDone += skip;
        if (rowsDone === skipRows && tally.value !== options.resume!.tally) throw new SheetChangedError();
      }
      if (skip < chunk.rows.length) {
        const part = skip === 0 ? chunk : sliceChunk(chunk, skip, chunk.rows.length);
        const mapped = mapper.map(part);
        addToTally(tally, mapped.records, mapped.unmapped);
        rowsDone += part.rows.length;
        yield { ...mapped, rowsDone, tally: tally.value };
      }
    }
    // The sheet ended before the rows written by earlier slices: rows were removed meanwhile.
    if (rowsDone < skipRows) throw new SheetChangedError();
  } finally {
    await iterator.return?.(undefined);
  }
}

/**
 * Reads `chunks` to the end in one go, writing each chunk with `write` (an import, not a sliced
 * pull).
 *
 * @throws what {@link mappedChunks} throws, and what `write` throws.
 */
export async function streamIntoRun(
  chunks: AsyncIterable<RowChunk<unknown>>,
  mapperFor: RowMapperFactory,
  write: WriteChunk,
  options: StreamOptions & {
    /** Called after each written chunk; its position includes the chunk. */
    onWritten?: (position: StreamPosition) => Promise<void>;
  } = {},
): Promise<StreamOutcome> {
  let columns: string[] = [];
  const outcome = { rowsDone: options.resume?.rowsDone ?? 0, tally: options.resume?.tally ?? "" };
  let rowsThisCall = 0;
  const onColumns = (detected: string[]) => {
    columns = detected;
    options.onColumns?.(detected);
  };
  for await (const chunk of mappedChunks(chunks, mapperFor, { resume: options.resume, onColumns })) {
    await write(chunk.records, chunk.unmapped);
    rowsThisCall += chunk.rowsDone - outcome.rowsDone;
    outcome.rowsDone = chunk.rowsDone;
    outcome.tally = chunk.tally;
    await options.onWritten?.({ rowsDone: chunk.rowsDone, tally: chunk.tally });
  }
  return { ...outcome, columns, rowsThisCall };
}

function addToTally(tally: KeyTally, records: SourceRecord[], unmapped: RecordError[]): void {
  for (const record of records) tally.add(record.key);
  for (const failure of unmapped) tally.add(failure.key ?? `!${failure.reason}`);
}

function sliceChunk<T>(chunk: RowChunk<T>, from: number, to: number): RowChunk<T> {
  const rowNumbers = chunk.rowNumbers.slice(from, to);
  return {
    headers: chunk.headers,
    rows: chunk.rows.slice(from, to),
    rowNumbers,
    firstRowNumber: rowNumbers[0],
  };
}
