import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import type { RowChunk } from "./row-chunk.ts";
import { RowHasher } from "./row-hash.ts";
import type { RowMapperFactory } from "./row-mapper.ts";
import { SheetChangedError, streamIntoRun } from "./stream-into-run.ts";

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

describe("streamIntoRun", () => {
  it("writes every chunk in order and reports the columns", async () => {
    const c = collector();
    const outcome = await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, c.write);
    expect(outcome).toMatchObject({
      complete: true,
      rowsDone: 7,
      rowsThisCall: 7,
      columns: ["email ← 'Email'", "amount ← 'Amount'"],
    });
    expect(c.written.map((w) => w.length)).toEqual([3, 3, 1]);
    // Identical rows in different chunks get different keys.
    const keys = c.written.flat().map((r) => r.key);
    expect(new Set(keys).size).toBe(7);
  });

  it("stops after a written chunk once the budget is spent, but finishes when nothing is left", async () => {
    const c = collector();
    const stopped = await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, c.write, { budgetMs: 0 });
    expect(stopped).toMatchObject({ complete: false, rowsDone: 3 });
    const short = collector();
    const finished = await streamIntoRun(chunks(EMAILS.slice(0, 3), 3).iterable, mapper, short.write, {
      budgetMs: 0,
    });
    expect(finished).toMatchObject({ complete: true, rowsDone: 3 });
  });

  it("resumes after the rows already written, giving the rest the same keys as one pass would", async () => {
    const whole = collector();
    await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, whole.write);

    const first = collector();
    const position = await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, first.write, { budgetMs: 0 });
    const rest = collector();
    // Resumed with another chunk size: the skip can end inside a chunk.
    const outcome = await streamIntoRun(chunks(EMAILS, 2).iterable, mapper, rest.write, { resume: position });
    expect(outcome).toMatchObject({ complete: true, rowsDone: 7, rowsThisCall: 4 });
    expect([...first.written.flat(), ...rest.written.flat()].map((r) => r.key)).toEqual(
      whole.written.flat().map((r) => r.key),
    );
  });

  it("throws SheetChangedError when the rows read again differ, or the sheet got shorter", async () => {
    const first = collector();
    const position = await streamIntoRun(chunks(EMAILS, 3).iterable, mapper, first.write, { budgetMs: 0 });
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
