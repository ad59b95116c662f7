import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PayloadError, UpstreamError } from "../../errors.ts";
import {
  type Cell,
  makeServiceAccount,
  startGoogleDouble,
} from "../../../tests/fixtures/sheets/google-doubles.ts";
import { apiKeyAuth, type GoogleAuth, serviceAccountAuth } from "./google-auth.ts";
import { getValues, readSheetRows, type SheetCell } from "./sheets-api.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";

const ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
const SALES: Cell[][] = [
  ["Date", "Name", "Email", "Amount"],
  [45355, "Ann Lee", "ann@example.com", 1234.56],
  [45356, "Bob", "bob@example.com"], // ragged: amount cell empty
  ["", "", "", ""], // blank row
  [45357.5, "Cy", "cy@example.com", -12],
  [45358, "Di", "di@example.com", 50, "", ""],
];

let double: Awaited<ReturnType<typeof startGoogleDouble>>;
let auth: GoogleAuth;
const noWait = { sleep: () => Promise.resolve() };

beforeAll(async () => {
  const keys = await makeServiceAccount();
  double = await startGoogleDouble({
    publicKey: keys.publicKey,
    clientEmail: keys.account.client_email,
    tabs: { "Sales 2024": SALES, Empty: [], Small: [["Email"], ["a@x.com"], ["b@x.com"]] },
    gridRows: 12,
    apiKey: "AIza-test",
  });
  auth = serviceAccountAuth(keys.account, { tokenUrl: double.tokenUrl });
});
afterAll(() => double.close());

async function readAll(opts: Partial<Parameters<typeof readSheetRows>[0]>) {
  const chunks: RowChunk<SheetCell>[] = [];
  for await (
    const chunk of readSheetRows({ spreadsheetId: ID, range: "", auth, baseUrl: double.baseUrl, ...opts })
  ) {
    chunks.push(chunk);
  }
  return chunks;
}

describe("getValues", () => {
  it("asks for unformatted values and serial dates, and pads ragged rows", async () => {
    const result = await getValues({
      spreadsheetId: ID,
      range: "'Sales 2024'!A1:D3",
      auth,
      baseUrl: double.baseUrl,
    });
    expect(result.values).toEqual([
      ["Date", "Name", "Email", "Amount"],
      [45355, "Ann Lee", "ann@example.com", 1234.56],
      [45356, "Bob", "bob@example.com", ""],
    ]);
    const query = double.stats.query.at(-1)!;
    expect(query.get("valueRenderOption")).toBe("UNFORMATTED_VALUE");
    expect(query.get("dateTimeRenderOption")).toBe("SERIAL_NUMBER");
    expect(double.stats.ranges.at(-1)).toBe("'Sales 2024'!A1:D3");
  });

  it("answers an empty range with no rows, as Google omits `values`", async () => {
    const result = await getValues({
      spreadsheetId: ID,
      range: "'Sales 2024'!A10:D11",
      auth,
      baseUrl: double.baseUrl,
    });
    expect(result.values).toEqual([]);
  });

  it("works with an API key instead of a service account", async () => {
    const result = await getValues({
      spreadsheetId: ID,
      range: "Small!A1:A2",
      auth: apiKeyAuth("AIza-test"),
      baseUrl: double.baseUrl,
    });
    expect(result.values).toEqual([["Email"], ["a@x.com"]]);
    expect(double.stats.query.at(-1)!.get("key")).toBe("AIza-test");
  });

  it("backs off on 429 as Retry-After asks, then reads", async () => {
    double.queue({ status: 429, headers: { "retry-after": "3" } });
    const waits: number[] = [];
    const result = await getValues({
      spreadsheetId: ID,
      range: "Small!A1:A1",
      auth,
      baseUrl: double.baseUrl,
      sleep: (ms) => (waits.push(ms), Promise.resolve()),
    });
    expect(result.values).toEqual([["Email"]]);
    expect(waits).toEqual([3000]);
  });

  it("refreshes the token once when Google answers 401", async () => {
    double.revokeTokens();
    const result = await getValues({
      spreadsheetId: ID,
      range: "Small!A1:A1",
      auth,
      baseUrl: double.baseUrl,
    });
    expect(result.values).toEqual([["Email"]]);
  });

  it("explains a 403 naming the service account, in one line", async () => {
    double.queue({
      status: 403,
      body: { error: { code: 403, message: "The caller does not have permission" } },
    });
    const error = await getValues({ spreadsheetId: ID, range: "Small!A1", auth, baseUrl: double.baseUrl })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toMatch(
      /^Google refused the service account puller@.* \(403\): The caller does not have permission; share the sheet/,
    );
  });

  it("gives up on a persistent 503 with one line", async () => {
    for (let i = 0; i < 3; i++) double.queue({ status: 503 });
    const error = await getValues({
      spreadsheetId: ID,
      range: "Small!A1",
      auth,
      baseUrl: double.baseUrl,
      maxAttempts: 3,
      ...noWait,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the Sheets API answered 503 after 3 attempts");
  });
});

describe("readSheetRows", () => {
  it("reads a tab in row slices, with the sheet's row numbers and blank rows skipped", async () => {
    const from = double.stats.ranges.length;
    const chunks = await readAll({ range: "'Sales 2024'!A1:D", pageRows: 2 });
    expect(chunks.map((c) => c.rowNumbers)).toEqual([[2, 3], [5], [6]]);
    expect(chunks[0].headers).toEqual(["Date", "Name", "Email", "Amount"]);
    expect(chunks[0].rows[1]).toEqual({ Date: 45356, Name: "Bob", Email: "bob@example.com", Amount: "" });
    expect(chunks[2].rows[0]).toEqual({ Date: 45358, Name: "Di", Email: "di@example.com", Amount: 50 });
    expect(double.stats.ranges.slice(from)).toEqual([
      "'Sales 2024'!A1:D1",
      "'Sales 2024'!A2:D3",
      "'Sales 2024'!A4:D5",
      "'Sales 2024'!A6:D7",
      "'Sales 2024'!A8:D9",
    ]);
  });

  it("resumes at a checkpointed row", async () => {
    const chunks = await readAll({ range: "'Sales 2024'!A1:D", pageRows: 10, startRow: 5 });
    expect(chunks.flatMap((c) => c.rowNumbers)).toEqual([5, 6]);
  });

  it("stops at the end of the sheet's grid instead of failing", async () => {
    // pageRows 20 asks past the 12-row grid in the first slice; a second slice would start past it.
    const chunks = await readAll({ range: "Small", pageRows: 20 });
    expect(chunks.flatMap((c) => c.rows)).toEqual([{ Email: "a@x.com" }, { Email: "b@x.com" }]);
  });

  it("clamps a slice to the grid when Google refuses a range that runs past it", async () => {
    const keys = await makeServiceAccount();
    const strict = await startGoogleDouble({
      publicKey: keys.publicKey,
      clientEmail: keys.account.client_email,
      tabs: { Small: SALES },
      gridRows: 6,
      strictGridEnd: true,
    });
    try {
      const from = strict.stats.ranges.length;
      const chunks = [];
      const strictAuth = serviceAccountAuth(keys.account, { tokenUrl: strict.tokenUrl });
      for await (
        const chunk of readSheetRows({
          spreadsheetId: ID,
          range: "Small",
          auth: strictAuth,
          baseUrl: strict.baseUrl,
          pageRows: 100,
        })
      ) {
        chunks.push(chunk);
      }
      expect(chunks.flatMap((c) => c.rowNumbers)).toEqual([2, 3, 5, 6]);
      expect(strict.stats.ranges.slice(from)).toEqual([
        "'Small'!1:1",
        "'Small'!2:101",
        "'Small'!2:6",
        "'Small'!7:106",
      ]);
    } finally {
      await strict.close();
    }
  });

  it("stops at the last row of a bounded range", async () => {
    const chunks = await readAll({ range: "'Sales 2024'!A1:D3", pageRows: 1 });
    expect(chunks.flatMap((c) => c.rowNumbers)).toEqual([2, 3]);
  });

  it("reads the first tab when no range is given", async () => {
    const from = double.stats.ranges.length;
    const chunks = await readAll({ range: "", pageRows: 100 });
    expect(chunks[0].headers[0]).toBe("Date");
    expect(chunks.flatMap((c) => c.rowNumbers)).toEqual([2, 3, 5, 6]);
    expect(double.stats.ranges.slice(from)).toEqual(["1:1", "2:101", "102:201"]);
  });

  it("refuses a tab without a header row", async () => {
    await expect(readAll({ range: "Empty" })).rejects.toThrow(PayloadError);
  });
});
