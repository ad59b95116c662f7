import { describe, expect, it } from "vitest";
import { RowHasher } from "../tabular/row-hash.ts";
import type { RowChunk } from "../tabular/row-chunk.ts";
import { sheetRowMapper } from "./sheet-row-mapper.ts";

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
});
