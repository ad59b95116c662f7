/**
 * Large sheets stream: rows are parsed, hashed, mapped and handed to the writer chunk by chunk
 * while the rest of the sheet has not even been produced, so a pull holds a chunk and the
 * stream's small buffers, never the sheet. Asserted by counting what the source had produced at
 * each write (not by timing).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer } from "../helpers/csv-server.ts";
import { addSource, pull } from "./helpers.ts";
import { sheetRows } from "../../shared/sources/sheets/pull-rows.ts";
import { streamIntoRun } from "../../shared/sources/tabular/stream-into-run.ts";
import { sheetRowMapper } from "../../shared/sources/sheets/sheet-row-mapper.ts";

let t: TestDatabase;
let csv: CsvServer;

const HEADER = ["Date", "Name", "Email", "Amount", "Note"];
const cells = (i: number) => [
  `2024-03-${String((i % 28) + 1).padStart(2, "0")}`,
  `Buyer ${i % 500}`,
  `b${i % 500}@example.com`,
  `${i}.${String(i % 100).padStart(2, "0")}`,
  "x".repeat(40),
];

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
});
afterAll(async () => {
  await csv?.close();
  await t?.close();
});

/**
 * A download whose body is generated only when the reader asks for more (a pull source with no
 * read-ahead of its own), so `produced` is exactly what the pipeline has taken so far.
 */
function lazyCsv(rows: number) {
  const state = { produced: 0 };
  const encoder = new TextEncoder();
  const fetch = (() => {
    let headerSent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!headerSent) {
          headerSent = true;
          controller.enqueue(encoder.encode(HEADER.join(",") + "\r\n"));
          return;
        }
        if (state.produced >= rows) return controller.close();
        const lines: string[] = [];
        for (let n = 0; n < 100 && state.produced < rows; n++) {
          lines.push(cells(state.produced++).join(",") + "\r\n");
        }
        controller.enqueue(encoder.encode(lines.join("")));
      },
    }, { highWaterMark: 0 });
    return Promise.resolve(new Response(body, { headers: { "content-type": "text/csv" } }));
  }) as typeof globalThis.fetch;
  return { state, fetch };
}

describe("a large sheet", () => {
  it(
    "streams 50,000 rows through the parser and mapper a chunk at a time, reading ahead only a little",
    async () => {
      const ROWS = 50_000;
      const source = lazyCsv(ROWS);
      const writes: { records: number; produced: number }[] = [];
      let cents = 0n;
      const outcome = await streamIntoRun(
        sheetRows("https://example.com/large.csv", { chunkRows: 1000, csv: { fetch: source.fetch } }),
        sheetRowMapper({ scope: "large", columnMap: {} }),
        (records) => {
          writes.push({ records: records.length, produced: source.state.produced });
          for (const r of records) cents += BigInt(r.amount!.replace(".", ""));
          return Promise.resolve();
        },
      );

      expect(outcome).toMatchObject({ rowsDone: ROWS });
      expect(writes).toHaveLength(ROWS / 1000);
      expect(writes.every((w) => w.records === 1000)).toBe(true);
      // At every write the source had produced the rows written so far plus a bounded read-ahead
      // (the parser's buffers), never the sheet: the first write came after ~1,000 of 50,000 rows.
      const readAhead = writes.map((w, i) => w.produced - (i + 1) * 1000);
      expect(Math.max(...readAhead)).toBeLessThan(1500);
      expect(writes[0].produced).toBeLessThan(ROWS / 20);
      // Exact money: Σ i plus Σ (i mod 100)/100 over 50,000 rows, in cents.
      expect(cents).toBe(124_999_975_000n);
    },
    30_000,
  );

  it("pulls a generated sheet streamed chunked over HTTP into the database, chunk by chunk", async () => {
    const ROWS = 3_000;
    csv.set("chunked", { kind: "generated", header: HEADER, rows: ROWS, row: cells });
    const s = await addSource(t.kysely, { name: "chunked", url: csv.exportUrl("chunked") });
    const progress: number[] = [];
    const summary = await pull(t.kysely, "chunked", {
      chunkRows: 1000,
      onProgress: (p) => progress.push(p.rowsDone),
    });
    expect(summary).toMatchObject({ status: "SUCCESS", created: ROWS, failed: 0 });
    expect(progress).toEqual([1000, 2000, 3000]);
    const totals = await sql<{ n: number; people: number }>`
      select count(*)::int as n, count(distinct user_id)::int as people
      from sheet_data where source_url = ${s.url} and deleted_at is null`.execute(t.kysely);
    expect(totals.rows[0]).toEqual({ n: ROWS, people: 500 });
  }, 30_000);
});
