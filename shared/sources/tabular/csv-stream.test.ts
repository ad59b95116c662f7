import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { PayloadError } from "../../errors.ts";
import { csvRows } from "./csv-stream.ts";
import { RowHasher } from "./row-hash.ts";
import type { RowChunk } from "./row-chunk.ts";

const SALES = readFileSync(new URL("../../../tests/fixtures/sheets/sales.csv", import.meta.url));

/** A body that delivers `bytes` in pieces of `size` bytes, recording whether it was cancelled. */
function bodyOf(bytes: Uint8Array | string, size = 7): ReadableStream<Uint8Array> & { cancelled: boolean } {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.slice(offset, offset + size));
      offset += size;
    },
    cancel() {
      (stream as { cancelled?: boolean }).cancelled = true;
    },
  });
  return Object.assign(stream, { cancelled: false });
}

async function collect(body: ReadableStream<Uint8Array>, opts?: Parameters<typeof csvRows>[1]) {
  const chunks: RowChunk[] = [];
  for await (const chunk of csvRows(body, opts)) chunks.push(chunk);
  return chunks;
}

describe("csvRows", () => {
  it("reads a sales sheet: BOM stripped, quotes, embedded newlines, blank rows skipped, short rows padded", async () => {
    const [chunk, ...rest] = await collect(bodyOf(SALES));
    expect(rest).toEqual([]);
    expect(chunk.headers).toEqual([
      "Date",
      "Customer Name",
      "Email",
      "Product",
      "Amount",
      "Currency",
      "Notes",
    ]);
    expect(chunk.rows).toHaveLength(10);
    expect(chunk.rows[0]).toMatchObject({ Date: "3/4/2024", Amount: "$1,234.56" });
    expect(chunk.rows[1]).toMatchObject({ "Customer Name": "Smith, Bob", Notes: 'paid via "card"' });
    expect(chunk.rows[2].Notes).toBe("first line\nsecond line");
    expect(chunk.rows[6]).toEqual({
      Date: "3/8/2024",
      "Customer Name": "Eve Stone",
      Email: "eve@example.com",
      Product: "Newsletter",
      Amount: "",
      Currency: "",
      Notes: "",
    });
    // Row 4 spans two lines and row 5 is blank: numbers are spreadsheet rows, not text lines.
    expect(chunk.rowNumbers).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11, 12]);
    expect(chunk.firstRowNumber).toBe(2);
  });

  it("yields chunks of the requested size with continuous row numbers", async () => {
    const csv = "Email,Amount\n" + Array.from({ length: 25 }, (_, i) => `u${i}@x.com,${i}`).join("\n");
    const chunks = await collect(bodyOf(csv, 13), { chunkRows: 10 });
    expect(chunks.map((c) => c.rows.length)).toEqual([10, 10, 5]);
    expect(chunks.map((c) => c.firstRowNumber)).toEqual([2, 12, 22]);
    expect(chunks[2].rows[4]).toEqual({ Email: "u24@x.com", Amount: "24" });
  });

  it("yields rows before the body has finished arriving", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    controller.enqueue(new TextEncoder().encode("Email\na@x.com\nb@x.com\nc@x.com\nd@x.com\ne@"));
    const rows = csvRows(body, { chunkRows: 2 });
    const first = await rows.next();
    expect(first.value?.rows).toEqual([{ Email: "a@x.com" }, { Email: "b@x.com" }]);
    controller.enqueue(new TextEncoder().encode("x.com\n"));
    controller.close();
    expect((await rows.next()).value?.rows).toEqual([{ Email: "c@x.com" }, { Email: "d@x.com" }]);
    expect((await rows.next()).value?.rows).toEqual([{ Email: "e@x.com" }]);
    expect((await rows.next()).done).toBe(true);
  });

  it("decodes a multi-byte character split between two network chunks", async () => {
    const [chunk] = await collect(bodyOf("Name\nJosé Müller\n", 7));
    expect(chunk.rows[0].Name).toBe("José Müller");
  });

  it("makes duplicate and blank headers usable and keeps cells beyond the header", async () => {
    const [chunk] = await collect(bodyOf("Email,,email\na,b,c,d\n"));
    expect(chunk.headers).toEqual(["Email", "Column B", "email (2)"]);
    expect(chunk.rows[0]).toEqual({ Email: "a", "Column B": "b", "email (2)": "c", "Column D": "d" });
  });

  it("guesses a semicolon delimiter from the header line", async () => {
    const [chunk] = await collect(bodyOf('Name;Amount\n"Lee; Ann";1,50\n'));
    expect(chunk.rows[0]).toEqual({ Name: "Lee; Ann", Amount: "1,50" });
  });

  it("yields the headers of a sheet that has no rows", async () => {
    const chunks = await collect(bodyOf("Email,Amount\n"));
    expect(chunks).toEqual([{ headers: ["Email", "Amount"], rows: [], rowNumbers: [], firstRowNumber: 2 }]);
  });

  it("refuses an empty body with a PayloadError rather than reading it as an empty sheet", async () => {
    await expect(collect(bodyOf(""))).rejects.toThrow(PayloadError);
  });

  it("fails fast with one line on an unclosed quote larger than the record limit", async () => {
    const csv = 'Email,Notes\na@x.com,"' + "x".repeat(5000);
    const error = await collect(bodyOf(csv, 512), { maxRecordSize: 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(PayloadError);
    expect(error.message).not.toContain("\n");
  });

  it("passes the body's own error through unchanged", async () => {
    const failure = new Error("upstream went away");
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("Email\na@x.com\n"));
      },
      pull(c) {
        c.error(failure);
      },
    });
    await expect(collect(body)).rejects.toBe(failure);
  });

  it("cancels the body when the reader stops early", async () => {
    const csv = "Email\n" + "a@x.com\n".repeat(5000);
    const body = bodyOf(csv, 100);
    for await (const chunk of csvRows(body, { chunkRows: 10 })) {
      expect(chunk.rows).toHaveLength(10);
      break;
    }
    expect(body.cancelled).toBe(true);
  });

  it("parses and hashes 100k rows in chunks without holding the sheet", async () => {
    const total = 100_000;
    let i = 0;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i === 0) controller.enqueue(encoder.encode("Date,Name,Email,Amount,Product\n"));
        if (i >= total) return controller.close();
        let text = "";
        for (const end = Math.min(total, i + 500); i < end; i++) {
          text += `3/${(i % 28) + 1}/2024,Person ${i},user${i}@example.com,"$${i}.00",Course ${i % 7}\n`;
        }
        controller.enqueue(encoder.encode(text));
      },
    });
    const started = performance.now();
    const hasher = new RowHasher();
    let rows = 0;
    let largest = 0;
    for await (const chunk of csvRows(body)) {
      rows += hasher.hashAll(chunk.rows).length;
      largest = Math.max(largest, chunk.rows.length);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `csvRows + RowHasher: ${total} rows in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} rows/s`,
    );
    expect(rows).toBe(total);
    expect(largest).toBe(1000);
  });
});
