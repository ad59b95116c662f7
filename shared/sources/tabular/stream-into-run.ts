/**
 * streamIntoRun: the loop at the heart of a pull. Chunks of rows arrive as the download streams;
 * each is mapped and written through the run, so memory holds one chunk, not the sheet. A pull
 * that must stop (its time budget is spent) stops between chunks; the next invocation reads the
 * sheet again from the top, maps the rows already written without writing them (so identical rows
 * are counted the same way) and goes on from there.
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

/** Options of {@link streamIntoRun}. */
export interface StreamOptions {
  /** Resume after these rows, checking that they are still the same; default: from the top. */
  resume?: StreamPosition;
  /** Stop between chunks once `elapsed()` reaches this many ms (at least one chunk is written). */
  budgetMs?: number;
  /** Milliseconds spent so far by the caller's invocation. */
  elapsed?: () => number;
  /** Called once the columns are known. */
  onColumns?: (columns: string[]) => void;
  /** Called after each written chunk, e.g. to save a checkpoint; its position includes the chunk. */
  onWritten?: (position: StreamPosition) => Promise<void>;
}

/** How a read ended. */
export interface StreamOutcome extends StreamPosition {
  /** The source was read to its end. */
  complete: boolean;
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
 * Reads `chunks` to the end or until the budget is spent, writing each chunk with `write`.
 *
 * @throws PayloadError when the mapper refuses the sheet (no email column, ...), SheetChangedError
 *   when resumed rows differ, and whatever the chunk source throws (UpstreamError, ...).
 */
export async function streamIntoRun(
  chunks: AsyncIterable<RowChunk<unknown>>,
  mapperFor: RowMapperFactory,
  write: WriteChunk,
  options: StreamOptions = {},
): Promise<StreamOutcome> {
  const skipRows = options.resume?.rowsDone ?? 0;
  const elapsed = options.elapsed ?? (() => 0);
  const tally = new KeyTally();
  const iterator = chunks[Symbol.asyncIterator]();
  let mapper: RowMapper | null = null;
  let rowsDone = 0;
  let rowsThisCall = 0;
  const outcome = (complete: boolean): StreamOutcome => ({
    complete,
    rowsDone,
    tally: tally.value,
    columns: mapper?.columns ?? [],
    rowsThisCall,
  });

  try {
    let next = await iterator.next();
    while (!next.done) {
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
      let wrote = false;
      if (skip < chunk.rows.length) {
        const part = skip === 0 ? chunk : sliceChunk(chunk, skip, chunk.rows.length);
        const mapped = mapper.map(part);
        addToTally(tally, mapped.records, mapped.unmapped);
        await write(mapped.records, mapped.unmapped);
        rowsDone += part.rows.length;
        rowsThisCall += part.rows.length;
        wrote = true;
        await options.onWritten?.({ rowsDone, tally: tally.value });
      }
      next = await iterator.next();
      // Looking one chunk ahead first means a read whose last chunk spent the budget still ends here.
      if (wrote && !next.done && elapsed() >= (options.budgetMs ?? Infinity)) return outcome(false);
    }
    // The sheet ended before the rows written by earlier slices: rows were removed meanwhile.
    if (rowsDone < skipRows) throw new SheetChangedError();
    return outcome(true);
  } finally {
    await iterator.return?.(undefined);
  }
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
