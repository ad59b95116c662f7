import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import type { RowChunk } from "./row-chunk.ts";
import { RowHasher } from "./row-hash.ts";
import type { RowMapperFactory } from "./row-mapper.ts";
import { mappedChunks, SheetChangedError, streamIntoRun, type StreamPosition } from "./stream-into-run.ts";

const HEADERS = ["Email", "Amount"];
const rows = (emails: string[]) => emails.map((email) => ({ Email: email, Amount: "$1.00" }));

/** A sheet as chunks of `size` rows; counts how many chunks were asked for. */
function chunks(emails: string[], size: number) {
  const state = { asked: 0 };
  async function* gen(): AsyncGenerator<RowChunk<unknown>> {
    for (let i = 0; i < Math.max(emails.length, 1); i += size) {
      state.asked++;
      const part = rows(emails.slice(i, i + size));
      yield {
        headers: HEADERS,
        rows: part,
        rowNumbers: part.map((_, k) => i + k + 2),
        firstRowNumber: i + 2,
      };
    }
  }
  return { iterable: gen(), state };
}

/** A mapper as a source builds one: columns reported once, one hasher for the whole read. */
const mapper: RowMapperFactory = () => {
  const hasher = new RowHasher();
  return {
    columns: ["email ← 'Email'", "amount ← 'Amount'"],
    map: (chunk) => ({
      records: chunk.rows.map((row) => ({
        key: hasher.hash(row),
        scope: "s",
        email: String(row.Email),
        name: null,
        raw: row,
        changedAt: null,
      })),
      unmapped: [],
    }),
  };
};
const EMAILS = ["a@x.io", "b@x.io", "a@x.io", "c@x.io", "d@x.io", "a@x.io", "e@x.io"];

function collector() {
  const written: SourceRecord[][] = [];
  const failed: RecordError[][] = [];
  const write = (records: SourceRecord[], unmapped: RecordError[]) => {
    written.push(records);
    failed.push(unmapped);
    return Promise.resolve();
  };
  return { written, failed, write };
}

/** Where a read stands after the sheet's first chunk of `size` rows, and those rows' records. */
async function firstChunk(emails: string[], size: number) {
  const read = mappedChunks(chunks(emails, size).iterable, mapper);
  const { value } = await read.next();
  await read.return(undefined);
  const { records, rowsDone, tally } = value!;
  return { records, position: { rowsDone, tally } as StreamPosition };
}

describe("mappedChunks", () => {
  it("reads the next chunk only when asked for, and stops the source when closed early", async () => {
    const source = chunks(EMAILS, 3);
    const read = mappedChunks(source.iterable, mapper);
    const first = await read.next();
    expect(first.value).toMatchObject({ rowsDone: 3 });
    expect(source.state.asked).toBe(1);
    const second = await read.next();
    expect(second.value).toMatchObject({ rowsDone: 6 });
    expect(source.state.asked).toBe(2);
    await read.return(undefined);
    expect(await source.iterable.next()).toMatchObject({ done: true });
    expect(source.state.asked).toBe(2);
  });
});

describe("streamIntoRun", () => {
  it("writes every chunk in order and reports the columns", async () => {
    const c = collector();
    const outcome = await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, c.write);
    expect(outcome).toMatchObject({
      rowsDone: 7,
      rowsThisCall: 7,
      columns: ["email ← 'Email'", "amount ← 'Amount'"],
    });
    expect(c.written.map((w) => w.length)).toEqual([3, 3, 1]);
    // Identical rows in different chunks get different keys.
    const keys = c.written.flat().map((r) => r.key);
    expect(new Set(keys).size).toBe(7);
  });

  it("resumes after the rows already written, giving the rest the same keys as one pass would", async () => {
    const whole = collector();
    await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, whole.write);

    const first = await firstChunk(EMAILS, 3);
    const rest = collector();
    // Resumed with another chunk size: the skip can end inside a chunk.
    const outcome = await streamIntoRun(chunks(EMAILS, 2).iterable, mapper, rest.write, {
      resume: first.position,
    });
    expect(outcome).toMatchObject({ rowsDone: 7, rowsThisCall: 4 });
    expect([...first.records, ...rest.written.flat()].map((r) => r.key)).toEqual(
      whole.written.flat().map((r) => r.key),
    );
  });

  it("throws SheetChangedError when the rows read again differ, or the sheet got shorter", async () => {
    const { position } = await firstChunk(EMAILS, 3);
    const edited = ["z@x.io", ...EMAILS.slice(1)];
    await expect(streamIntoRun(chunks(edited, 3).iterable, mapper, collector().write, { resume: position }))
      .rejects.toBeInstanceOf(SheetChangedError);
    await expect(
      streamIntoRun(chunks(EMAILS.slice(0, 2), 3).iterable, mapper, collector().write, { resume: position }),
    )
      .rejects.toBeInstanceOf(SheetChangedError);
  });

  it("passes the mapper's refusal on, and stops reading the source", async () => {
    const source = chunks(EMAILS, 3);
    const refuse = () => {
      throw new PayloadError("no email column");
    };
    await expect(streamIntoRun(source.iterable, refuse, collector().write)).rejects.toThrow(
      "no email column",
    );
    expect(source.state.asked).toBe(1);
  });
});
