import { describe, expect, it } from "vitest";
import {
  describeColumnMap,
  parseColumnMap,
  parseSchedule,
  parseSheetKind,
  resolveSheetUrl,
} from "./sheet-source-input.ts";

const ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

describe("resolveSheetUrl", () => {
  it("turns an edit link into its CSV export link, keeping the tab's gid, and says so", () => {
    const r = resolveSheetUrl(`https://docs.google.com/spreadsheets/d/${ID}/edit#gid=42`);
    expect(r).toMatchObject({
      via: "csv",
      url: `https://docs.google.com/spreadsheets/d/${ID}/export?format=csv&gid=42`,
    });
    expect(r.note).toMatch(/CSV export link \(tab gid 42\)/);
  });

  it("keeps a CSV URL as it is, with no note", () => {
    expect(resolveSheetUrl(" https://example.com/sales.csv ")).toEqual({
      url: "https://example.com/sales.csv",
      via: "csv",
      note: null,
    });
  });

  it("stores a Sheets API range as sheets:{ID}!{range}", () => {
    const r = resolveSheetUrl(`sheets:${ID}!'Sales 2024'!A1:F`);
    expect(r).toMatchObject({ url: `sheets:${ID}!'Sales 2024'!A1:F`, via: "sheets-api" });
    // What is stored resolves to the same thing again.
    expect(resolveSheetUrl(r.url).url).toBe(r.url);
  });

  it("refuses text that is no link with one line", () => {
    expect(() => resolveSheetUrl("my sales sheet")).toThrow(
      /is not a Google Sheets link, a CSV URL or a sheets:/,
    );
  });
});

describe("parseColumnMap", () => {
  it("reads field=Header pairs, header text with spaces included", () => {
    expect(parseColumnMap("email=E-mail Address, amount = Order Total,date=Paid On")).toEqual({
      email: "E-mail Address",
      amount: "Order Total",
      date: "Paid On",
    });
  });

  it("reads a JSON object", () => {
    expect(parseColumnMap('{"name": "Buyer", "currency": "Curr"}')).toEqual({
      name: "Buyer",
      currency: "Curr",
    });
  });

  it("is empty for empty text (detect the usual headers)", () => {
    expect(parseColumnMap("  ")).toEqual({});
    expect(describeColumnMap({})).toMatch(/detected/);
  });

  it.each([
    ["phone=Phone", /'phone' is not a field/],
    ["email", /'email' is not field=Header/],
    ["email=", /email needs a header name/],
    ["{oops", /not valid JSON/],
    ["[1]", /not field=Header|JSON/],
  ])("refuses %j", (text, reason) => {
    expect(() => parseColumnMap(text)).toThrow(reason);
  });
});

describe("parseSheetKind and parseSchedule", () => {
  it("accepts the two kinds in any case and refuses others", () => {
    expect(parseSheetKind("elective")).toBe("ELECTIVE");
    expect(() => parseSheetKind("csv")).toThrow(/SHEET or ELECTIVE/);
  });

  it("keeps a valid schedule and refuses a bad one with the cron reason", () => {
    expect(parseSchedule(" */15   * * * * ")).toBe("*/15 * * * *");
    expect(() => parseSchedule("every hour")).toThrow(/--schedule: 'every hour' has 2 fields/);
  });
});
