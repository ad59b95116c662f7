import { describe, expect, it } from "vitest";
import { formatA1Range, parseA1Range, rowSlice } from "./a1-range.ts";

describe("parseA1Range", () => {
  it("reads sheet names, quoted or not, with and without cells", () => {
    expect(parseA1Range("'Sales 2024'!A1:Z")).toEqual({
      sheet: "Sales 2024",
      startColumn: "A",
      startRow: 1,
      endColumn: "Z",
      endRow: null,
    });
    expect(parseA1Range("Sheet1!a:f")).toEqual({
      sheet: "Sheet1",
      startColumn: "A",
      startRow: null,
      endColumn: "F",
      endRow: null,
    });
    expect(parseA1Range("Sheet1")).toEqual({
      sheet: "Sheet1",
      startColumn: null,
      startRow: null,
      endColumn: null,
      endRow: null,
    });
    expect(parseA1Range("Tab")?.sheet).toBe("Tab");
    expect(parseA1Range("'Bob''s sales'")?.sheet).toBe("Bob's sales");
  });

  it("reads ranges without a sheet as ranges of the first tab", () => {
    expect(parseA1Range("A2:Z100")).toEqual({
      sheet: null,
      startColumn: "A",
      startRow: 2,
      endColumn: "Z",
      endRow: 100,
    });
    expect(parseA1Range("2:5001")).toEqual({
      sheet: null,
      startColumn: null,
      startRow: 2,
      endColumn: null,
      endRow: 5001,
    });
    expect(parseA1Range("B2")).toEqual({
      sheet: null,
      startColumn: "B",
      startRow: 2,
      endColumn: "B",
      endRow: 2,
    });
  });

  it("refuses text that is not a range", () => {
    for (const text of ["", "'unclosed!A1", "Sheet1!A1:", "Sheet1!:Z", "Sheet1!A0", "Sheet1!ABCD1"]) {
      expect(parseA1Range(text), text).toBeNull();
    }
  });
});

describe("formatA1Range and rowSlice", () => {
  it("round-trips a range, quoting the sheet name", () => {
    expect(formatA1Range(parseA1Range("Bob's!A1:Z")!)).toBe("'Bob''s'!A1:Z");
    expect(formatA1Range(parseA1Range("A1:C3")!)).toBe("A1:C3");
  });

  it("slices rows keeping the columns, or whole rows when none are given", () => {
    expect(rowSlice(parseA1Range("'Sales'!A1:Z")!, 2, 5001)).toBe("'Sales'!A2:Z5001");
    expect(rowSlice(parseA1Range("Sales")!, 2, 5001)).toBe("'Sales'!2:5001");
    expect(rowSlice(parseA1Range("B:D")!, 10, 20)).toBe("B10:D20");
    expect(rowSlice(parseA1Range("Sales")!, 1, 1)).toBe("'Sales'!1:1");
    expect(rowSlice(parseA1Range("A:Z")!, 1, 1)).toBe("A1:Z1");
  });
});
