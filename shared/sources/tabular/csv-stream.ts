/**
 * Streams a CSV body into chunks of rows keyed by header, as the bytes arrive, so a 100k-row
 * sheet never sits in memory whole.
 */

import { CsvError, parse } from "csv-parse";
import { PayloadError } from "../../errors.ts";
import { isBlankRow, type RowChunk, rowRecord, uniqueHeaders } from "./row-chunk.ts";

/** How to read a CSV body. */
export interface CsvRowsOptions {
  /** Rows per yielded chunk (default 1000). */
  chunkRows?: number;
  /** Field delimiter; by default guessed from the header line (`,` unless only `;` or tab occur). */
  delimiter?: "," | ";" | "\t";
  /** Largest record accepted, in characters (default 1 Mi): an unclosed quote fails fast, not at OOM. */
  maxRecordSize?: number;
}

const NEWLINE = 0x0a;

/**
 * Yields the CSV's rows in chunks as bytes arrive. The first record is the header row (a UTF-8
 * BOM is stripped; blank headers are named after their column, repeats made unique). Fully blank
 * rows are skipped but counted, so `rowNumbers` stay the spreadsheet's (header = row 1). Short
 * rows are padded with `""`. A body without a header row, or a malformed CSV, throws `PayloadError` with one line; errors of the
 * body stream (an upstream timeout) pass through unchanged. Stopping early cancels the body.
 *
 * @example
 * for await (const { headers, rows, rowNumbers } of csvRows(response.body!)) { ... }
 */
export async function* csvRows(
  body: ReadableStream<Uint8Array>,
  opts: CsvRowsOptions = {},
): AsyncGenerator<RowChunk<string>> {
  const chunkRows = opts.chunkRows ?? 1000;
  const reader = body.getReader();
  const head = await readHeaderLine(reader);
  const parser = parse({
    bom: true,
    delimiter: opts.delimiter ?? guessDelimiter(head),
    relax_column_count: true,
    // A stray quote inside an unquoted cell (5" screen) is text, as Sheets itself reads it.
    relax_quotes: true,
    max_record_size: opts.maxRecordSize ?? 1024 * 1024,
  });

  let stopped = false;
  // Feeds the parser from the body, waiting whenever the parser's buffer is full.
  const pump = (async () => {
    try {
      let chunk: Uint8Array | undefined = head.length > 0 ? head : undefined;
      while (!stopped) {
        if (chunk === undefined) {
          const next = await reader.read();
          if (next.done) break;
          chunk = next.value;
        }
        if (!parser.write(chunk) && !stopped) {
          await new Promise<void>((resolve) => {
            const done = () => {
              parser.off("drain", done);
              parser.off("close", done);
              resolve();
            };
            parser.on("drain", done);
            parser.on("close", done);
          });
        }
        chunk = undefined;
      }
      if (!stopped) parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();

  let headers: string[] | null = null;
  let rows: Record<string, string>[] = [];
  let rowNumbers: number[] = [];
  let rowNumber = 0;
  let yielded = false;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      rowNumber++;
      if (headers === null) {
        headers = uniqueHeaders(record);
        continue;
      }
      if (isBlankRow(record)) continue;
      rows.push(rowRecord(headers, record, ""));
      rowNumbers.push(rowNumber);
      if (rows.length >= chunkRows) {
        yielded = true;
        yield { headers, rows, rowNumbers, firstRowNumber: rowNumbers[0] };
        rows = [];
        rowNumbers = [];
      }
    }
    if (headers === null) throw new PayloadError("the CSV is empty: it has no header row");
    // A sheet with headers and no rows still yields one (empty) chunk, so the caller sees the headers.
    if (rows.length > 0 || !yielded) {
      yield { headers, rows, rowNumbers, firstRowNumber: rowNumbers[0] ?? rowNumber + 1 };
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new PayloadError(`the CSV is malformed: ${error.message.split("\n")[0]}`, [{ code: error.code }]);
    }
    throw error;
  } finally {
    stopped = true;
    parser.destroy();
    await reader.cancel().catch(() => {});
    await pump;
  }
}

/**
 * Reads from the body until the first newline (or 64 KiB), so the delimiter can be guessed from
 * the header line before parsing starts. Returns the bytes read, to be parsed first.
 */
async function readHeaderLine(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < 65_536) {
    const next = await reader.read();
    if (next.done) break;
    parts.push(next.value);
    size += next.value.length;
    if (next.value.includes(NEWLINE)) break;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `,` unless the header line (outside quotes) has no comma but has semicolons or tabs. */
function guessDelimiter(head: Uint8Array): "," | ";" | "\t" {
  const end = head.indexOf(NEWLINE);
  const line = new TextDecoder().decode(end >= 0 ? head.subarray(0, end) : head).replace(/"[^"]*"/g, "");
  if (line.includes(",")) return ",";
  if (line.includes(";")) return ";";
  if (line.includes("\t")) return "\t";
  return ",";
}
