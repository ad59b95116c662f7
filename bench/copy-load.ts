/**
 * The COPY baseline: the rows a scenario stored, dumped with `COPY … TO STDOUT` (untimed) and loaded
 * again with `COPY … FROM STDIN` into an identical table (timed). The baseline so does the least
 * work that can put exactly the same rows into the same shape of table: no client-side building,
 * no conflict handling, no people to resolve.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type postgres from "postgres";
import { since } from "./context.ts";

/** The columns the sync engine writes into every source table (the rest are defaults). */
export const ENGINE_COLUMNS = [
  "user_id",
  "parent_key",
  "email",
  "name",
  "amount",
  "currency",
  "amount_usd",
  "refunded_amount",
  "is_revenue",
  "date",
  "source_updated_at",
  "deleted_at",
] as const;

/** A table's rows in COPY text format, held in memory. */
export interface CopyDump {
  columns: readonly string[];
  chunks: Uint8Array[];
  bytes: number;
}

/** Dumps `columns` of `table` with COPY TO STDOUT. */
export async function dumpRows(
  sql: postgres.Sql,
  table: string,
  columns: readonly string[],
): Promise<CopyDump> {
  const stream = await sql.unsafe(`copy (select ${columns.join(", ")} from ${table}) to stdout`).readable();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Uint8Array);
    bytes += (chunk as Uint8Array).length;
  }
  return { columns, chunks, bytes };
}

/**
 * Creates `target` as `like <source> including all` — the same columns, defaults, checks and
 * indexes; no foreign keys (COPY cannot resolve people) and no triggers (COPY only inserts) — then
 * loads the dump into it with COPY FROM STDIN. Returns the milliseconds of the load.
 */
export async function copyInto(
  sql: postgres.Sql,
  source: string,
  target: string,
  dump: CopyDump,
): Promise<number> {
  await sql.unsafe(`create table ${target} (like ${source} including all)`);
  const start = performance.now();
  const stream = await sql.unsafe(`copy ${target} (${dump.columns.join(", ")}) from stdin`).writable();
  await pipeline(Readable.from(dump.chunks), stream);
  return since(start);
}
