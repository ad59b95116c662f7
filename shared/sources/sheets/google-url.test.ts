import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import { toCsvSource } from "./google-url.ts";

const ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
const EXPORT = `https://docs.google.com/spreadsheets/d/${ID}/export?format=csv`;

/** The CSV URL a link resolves to (fails the test if it resolves to the Sheets API). */
function csvUrl(link: string): string {
  const source = toCsvSource(link);
  if (source.kind !== "csv") throw new Error(`expected a CSV source for ${link}`);
  return source.url;
}

describe("toCsvSource", () => {
  it("turns edit links into CSV export links for the tab in the link", () => {
    expect(toCsvSource(`https://docs.google.com/spreadsheets/d/${ID}/edit#gid=123`)).toEqual({
      kind: "csv",
      url: `${EXPORT}&gid=123`,
    });
    expect(csvUrl(`https://docs.google.com/spreadsheets/d/${ID}/edit?gid=77#gid=77`)).toBe(
      `${EXPORT}&gid=77`,
    );
    expect(toCsvSource(`https://docs.google.com/spreadsheets/d/${ID}/edit?usp=sharing`)).toEqual({
      kind: "csv",
      url: `${EXPORT}&gid=0`,
    });
    expect(toCsvSource(` https://docs.google.com/spreadsheets/u/1/d/${ID}/view `)).toEqual({
      kind: "csv",
      url: `${EXPORT}&gid=0`,
    });
    expect(toCsvSource(`https://docs.google.com/spreadsheets/d/${ID}`)).toEqual({
      kind: "csv",
      url: `${EXPORT}&gid=0`,
    });
    expect(csvUrl(`https://docs.google.com/spreadsheets/d/${ID}/export?format=xlsx&gid=5`)).toBe(
      `${EXPORT}&gid=5`,
    );
    expect(csvUrl(`https://docs.google.com/spreadsheet/ccc?key=${ID}#gid=3`)).toBe(`${EXPORT}&gid=3`);
  });

  it("keeps published CSV links and rewrites published HTML links to CSV", () => {
    const pub = "https://docs.google.com/spreadsheets/d/e/2PACX-1vQabc_def/pub?gid=9&single=true&output=csv";
    expect(toCsvSource(pub)).toEqual({ kind: "csv", url: pub });
    expect(csvUrl("https://docs.google.com/spreadsheets/d/e/2PACX-1vQabc_def/pubhtml?gid=9&single=true"))
      .toBe("https://docs.google.com/spreadsheets/d/e/2PACX-1vQabc_def/pub?gid=9&single=true&output=csv");
  });

  it("keeps GViz links and any other http(s) CSV URL as they are", () => {
    const gviz = `https://docs.google.com/spreadsheets/d/${ID}/gviz/tq?tqx=out:csv&sheet=Sales`;
    expect(toCsvSource(gviz).kind).toBe("csv");
    expect(toCsvSource("https://example.com/export/orders.csv?token=abc")).toEqual({
      kind: "csv",
      url: "https://example.com/export/orders.csv?token=abc",
    });
    expect(toCsvSource("http://127.0.0.1:8080/sales.csv").kind).toBe("csv");
  });

  it("reads Sheets API references in each documented syntax", () => {
    expect(toCsvSource(`sheets:${ID}!'Sales 2024'!A1:Z`)).toEqual({
      kind: "sheets-api",
      spreadsheetId: ID,
      range: "'Sales 2024'!A1:Z",
    });
    expect(toCsvSource(`sheets:${ID}/Sheet1`)).toEqual({
      kind: "sheets-api",
      spreadsheetId: ID,
      range: "Sheet1",
    });
    expect(toCsvSource(`${ID}/'Tab'!A1:Z`)).toEqual({
      kind: "sheets-api",
      spreadsheetId: ID,
      range: "'Tab'!A1:Z",
    });
    expect(toCsvSource(`SHEETS:${ID}`)).toEqual({ kind: "sheets-api", spreadsheetId: ID, range: "" });
  });

  it("refuses anything else with a one-line PayloadError", () => {
    for (
      const text of [
        "",
        "not a link",
        "ftp://example.com/a.csv",
        "sheets:short!A1",
        `sheets:${ID}!`,
        `sheets:${ID}!'Tab`,
        "https://docs.google.com/document/d/abc/edit",
        ID,
      ]
    ) {
      const error = (() => {
        try {
          toCsvSource(text);
        } catch (e) {
          return e;
        }
      })();
      expect(error, text).toBeInstanceOf(PayloadError);
      expect((error as Error).message).not.toContain("\n");
    }
  });
});
