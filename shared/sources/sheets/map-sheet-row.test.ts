import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { csvRows } from "../tabular/csv-stream.ts";
import { detectColumns } from "../tabular/detect-columns.ts";
import { mapSheetRows, sheetRowToRecord } from "./map-sheet-row.ts";
import { rowHash, RowHasher } from "../tabular/row-hash.ts";

const SOURCE = "https://docs.google.com/spreadsheets/d/abc/export?format=csv&gid=0";
const columns = { email: "Email", name: "Name", amount: "Amount", date: "Date", currency: "Currency" };

async function mapped(
  row: Record<string, unknown>,
  extra: Partial<Parameters<typeof sheetRowToRecord>[1]> = {},
) {
  return await sheetRowToRecord(row, { sourceUrl: SOURCE, columns, rowNumber: 7, occurrence: 0, ...extra });
}

describe("sheetRowToRecord", () => {
  it("maps a sale to a revenue record keyed by the row hash", async () => {
    const row = {
      Email: " ann@example.com ",
      Name: "Ann",
      Amount: "$1,234.56",
      Date: "3/4/2024",
      Currency: "usd",
    };
    const result = await mapped(row, { occurrence: 2 });
    expect(result).toEqual({
      ok: true,
      record: {
        key: await rowHash(row, 2),
        scope: SOURCE,
        email: "ann@example.com",
        name: "Ann",
        raw: row,
        changedAt: null,
        amount: "1234.56",
        currency: "USD",
        date: new Date("2024-03-04T00:00:00Z"),
        revenue: true,
      },
    });
  });

  it("reads Sheets API numbers: serial dates and unformatted amounts", async () => {
    const result = await mapped({ Email: "a@x.com", Amount: 99.5, Date: 45355.5 }, {
      defaultCurrency: "EUR",
    });
    expect(result.ok && result.record).toMatchObject({
      amount: "99.5",
      currency: "EUR",
      date: new Date("2024-03-04T12:00:00Z"),
    });
  });

  it("keeps a row without money as a person, not as revenue", async () => {
    const result = await mapped({ Email: "a@x.com", Amount: "  ", Date: "" });
    expect(result.ok && result.record).toMatchObject({
      amount: null,
      currency: null,
      date: null,
      revenue: false,
    });
  });

  it("fails a row whose amount is a placeholder or garbage, naming the row", async () => {
    expect(await mapped({ Email: "a@x.com", Amount: "N/A" })).toEqual({
      ok: false,
      rowNumber: 7,
      reason: "row 7, amount (column 'Amount'): no amount ('N/A')",
    });
    const garbage = await mapped({ Email: "a@x.com", Amount: "twelve" });
    expect(!garbage.ok && garbage.reason).toMatch(/^row 7, amount \(column 'Amount'\): /);
  });

  it("fails a row whose date cannot be read", async () => {
    const result = await mapped({ Email: "a@x.com", Amount: "5", Date: "2/30/2024" });
    expect(!result.ok && result.reason).toMatch(/^row 7, date \(column 'Date'\): /);
  });

  it("fails a row whose currency column and amount disagree, or whose currency is not a code", async () => {
    const conflict = await mapped({ Amount: "€5", Currency: "USD" });
    expect(!conflict.ok && conflict.reason).toBe(
      "row 7, amount (column 'Amount'): '€5' is not in USD, the row's currency",
    );
    const bad = await mapped({ Amount: "5", Currency: "dollars" });
    expect(!bad.ok && bad.reason).toBe(
      "row 7, currency (column 'Currency'): 'dollars' is not an ISO 4217 code",
    );
  });

  it("uses the currency column to settle an ambiguous symbol", async () => {
    const result = await mapped({ Amount: "$20", Currency: "CAD" });
    expect(result.ok && result.record.currency).toBe("CAD");
  });

  it("joins first and last name when the sheet has no name column", async () => {
    const result = await sheetRowToRecord(
      { First: "Ann", Last: "Lee" },
      { sourceUrl: SOURCE, columns: { firstName: "First", lastName: "Last" }, rowNumber: 2, occurrence: 0 },
    );
    expect(result.ok && result.record.name).toBe("Ann Lee");
  });
});

describe("mapSheetRows", () => {
  it("maps the sales fixture: sales, a refund (no gross, the amount refunded), a person without money, duplicates kept, bad rows failed", async () => {
    const body = new Response(
      readFileSync(new URL("../../../tests/fixtures/sheets/sales.csv", import.meta.url)),
    ).body!;
    const hasher = new RowHasher();
    const records = [];
    const failures = [];
    for await (const chunk of csvRows(body)) {
      const { map } = detectColumns(chunk.headers);
      const result = mapSheetRows(chunk, { sourceUrl: SOURCE, columns: map, hasher });
      records.push(...result.records);
      failures.push(...result.failures);
    }
    expect(failures).toEqual([
      {
        rowNumber: 10,
        reason: "row 10, amount (column 'Amount'): no amount ('N/A')",
        key: expect.any(String),
      },
      {
        rowNumber: 11,
        reason: "row 11, date (column 'Date'): 'soon' is not a date in a known format",
        key: expect.any(String),
      },
    ]);
    expect(records.map((r) => [r.email, r.amount, r.refunded, r.currency, r.revenue])).toEqual([
      ["ann@example.com", "1234.56", undefined, "USD", true],
      ["BOB@Example.com", "99.00", undefined, null, true],
      ["carla@example.es", "1234.56", undefined, "EUR", true],
      ["dee@example.com", "50.00", undefined, "USD", true],
      ["dee@example.com", "50.00", undefined, "USD", true],
      // (12.00) is a refund: no gross, 12.00 refunded.
      ["ann@example.com", null, "12.00", "USD", true],
      ["eve@example.com", null, undefined, null, false],
      ["hal@example.com", "30", undefined, "GBP", true],
    ]);
    expect(new Set(records.map((r) => r.key)).size).toBe(records.length);
    expect(records[7].date).toEqual(new Date("2024-03-10T00:00:00Z"));
    expect(records[2].name).toBe("Carla Gómez");
  });
});
