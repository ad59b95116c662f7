import { describe, expect, it } from "vitest";
import { tabularTable } from "./tabular-table.ts";

describe("tabularTable", () => {
  it("keys rows by row hash within their source URL and keeps the cells in data", () => {
    expect(tabularTable("SHEET", "sheet_data")).toEqual({
      source: "SHEET",
      table: "sheet_data",
      keyColumn: "row_hash",
      scopeColumn: "source_url",
      rawColumn: "data",
      keyedByScope: true,
    });
    expect(tabularTable("ELECTIVE", "elective_data")).toMatchObject({
      source: "ELECTIVE",
      table: "elective_data",
      keyColumn: "row_hash",
    });
  });
});
