import { describe, expect, it } from "vitest";
import { RowHasher } from "./row-hash.ts";
import { listHeaders, sheetRowMapper } from "./sheet-row-mapper.ts";
import type { RowChunk } from "./sheet-table.ts";

const chunk = (headers: string[], rows: Record<string, string>[], first = 2): RowChunk<unknown> => ({
  headers,
  rows,
  rowNumbers: rows.map((_, i) => first + i),
  firstRowNumber: first,
});

describe("sheetRowMapper", () => {
  it("reports a refused row under its row hash, so a full pull still counts it as seen", () => {
    const headers = ["Email", "Amount"];
    const rows = [{ Email: "a@x.io", Amount: "$1" }, { Email: "b@x.io", Amount: "N/A" }, {
      Email: "c@x.io",
      Amount: "$3",
    }];
    const mapped = sheetRowMapper({ scope: "s", columnMap: {} })(chunk(headers, rows)).map(
      chunk(headers, rows),
    );
    expect(mapped.records.map((r) => r.email)).toEqual(["a@x.io", "c@x.io"]);
    const expected = new RowHasher().hashAll(rows)[1];
    expect(mapped.unmapped).toEqual([{ key: expected, reason: expect.stringMatching(/^row 3, amount: /) }]);
  });

  it("refuses a sheet without an email column, listing its headers", () => {
    expect(() => sheetRowMapper({ scope: "s", columnMap: {} })(chunk(["Name", "Total"], [])))
      .toThrow(
        "the header row has no email column (headers: 'Name', 'Total'); name it in the source's column_map (email=<header>)",
      );
  });

  it("lets column_map name the email column, and refuses one naming a missing header", () => {
    const ok = sheetRowMapper({ scope: "s", columnMap: { email: "Contact" } })(
      chunk(["Contact", "Total"], []),
    );
    expect(ok.columns).toContain("email ← 'Contact' (column_map)");
    expect(() => sheetRowMapper({ scope: "s", columnMap: { amount: "Paid" } })(chunk(["Email", "Total"], [])))
      .toThrow(/^amount: column_map names 'Paid', which is not a header of the sheet/);
  });

  it("shortens a long header list for messages", () => {
    const many = Array.from({ length: 14 }, (_, i) => `H${i}`);
    expect(listHeaders(many)).toBe(
      "'H0', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'H7', 'H8', 'H9', … (14 columns)",
    );
  });
});
