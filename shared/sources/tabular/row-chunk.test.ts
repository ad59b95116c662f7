import { describe, expect, it } from "vitest";
import { columnLetter, isBlankRow, rowRecord, uniqueHeaders } from "./row-chunk.ts";

describe("uniqueHeaders", () => {
  it("names blank headers by column letter and makes repeats unique ignoring case and spacing", () => {
    expect(uniqueHeaders([" Email ", "", "email", "EMAIL", "Email (2)", "Full   Name"])).toEqual([
      "Email",
      "Column B",
      "email (2)",
      "EMAIL (3)",
      "Email (2) (2)",
      "Full Name",
    ]);
  });
});

describe("columnLetter", () => {
  it("counts like a spreadsheet", () => {
    expect([0, 25, 26, 51, 52, 701, 702].map(columnLetter)).toEqual([
      "A",
      "Z",
      "AA",
      "AZ",
      "BA",
      "ZZ",
      "AAA",
    ]);
  });
});

describe("rowRecord", () => {
  it("pads short rows and keeps non-empty extra cells under their column letter", () => {
    expect(rowRecord(["a", "b", "c"], ["1"], "")).toEqual({ a: "1", b: "", c: "" });
    expect(rowRecord(["a"], ["1", "", "3"], "")).toEqual({ a: "1", "Column C": "3" });
  });
});

describe("isBlankRow", () => {
  it("treats whitespace-only and missing cells as blank", () => {
    expect(isBlankRow(["", "  ", null])).toBe(true);
    expect(isBlankRow(["", 0])).toBe(false);
  });
});
