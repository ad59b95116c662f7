import { describe, expect, it } from "vitest";
import { findTabularKind, type TabularKind } from "./tabular-kind.ts";
import { tabularTable } from "./tabular-table.ts";

const kind = (name: string, table: "sheet_data" | "elective_data"): TabularKind => ({
  kind: name,
  table: tabularTable(name === "SHEET" ? "SHEET" : "ELECTIVE", table),
  rowMapper: () => () => ({ columns: [], map: () => ({ records: [], unmapped: [] }) }),
});

describe("findTabularKind", () => {
  const kinds = [kind("SHEET", "sheet_data"), kind("ELECTIVE", "elective_data")];

  it("finds the entry of a kind", () => {
    expect(findTabularKind(kinds, "ELECTIVE").table.table).toBe("elective_data");
    expect(findTabularKind(kinds, "SHEET").table.table).toBe("sheet_data");
  });

  it("names the missing kind and the known ones when the list lacks it", () => {
    expect(() => findTabularKind(kinds.slice(0, 1), "ELECTIVE")).toThrow(
      "no tabular kind 'ELECTIVE' was given (known: SHEET)",
    );
  });
});
