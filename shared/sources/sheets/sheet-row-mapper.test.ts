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
    expect(mapped.unmapped).toEqual([{
      key: expected,
      reason: expect.stringMatching(/^row 3, amount \(column 'Amount'\): /),
    }]);
  });

  it("skips summary rows before hashing, by label or by being the sum of the rows above", () => {
    const headers = ["Date", "Name", "Email", "Amount", "Notes"];
    const sale = (date: string, name: string, email: string, amount: string) => ({
      Date: date,
      Name: name,
      Email: email,
      Amount: amount,
      Notes: "",
    });
    const bare = (amount: string, notes = "") => ({
      Date: "",
      Name: "",
      Email: "",
      Amount: amount,
      Notes: notes,
    });
    const first = [
      sale("3/4/2024", "Ann", "ann@x.io", "$1,700.17"),
      sale("3/5/2024", "Bob", "bob@x.io", "$0.10"),
      bare("$1,700.27"), // the sum of the two rows above: a subtotal without a label
      sale("3/6/2024", "Cy", "cy@x.io", "(50.00)"),
    ];
    const second = [
      sale("3/7/2024", "Di", "di@x.io", "$ -"),
      { ...bare("#REF!"), Name: "Grand Total" }, // a label wins whatever the amount says
      bare("$25.00"), // not the sum of anything above (the sum restarted): a sale with no buyer
    ];
    const mapper = sheetRowMapper({ scope: "s", columnMap: {} })(chunk(headers, first));
    const a = mapper.map(chunk(headers, first));
    const b = mapper.map(chunk(headers, second, 6));
    expect(a.skipped).toEqual([{
      rowNumber: 4,
      reason: "row 4: no buyer or date, and 1700.27 is the sum of the 2 rows above it",
    }]);
    expect(b.skipped).toEqual([{ rowNumber: 7, reason: "row 7: 'Grand Total'" }]);
    expect([...a.records, ...b.records].map((r) => [r.email, r.amount, r.refunded])).toEqual([
      ["ann@x.io", "1700.17", undefined],
      ["bob@x.io", "0.10", undefined],
      ["cy@x.io", null, "50.00"],
      ["di@x.io", "0", undefined],
      [null, "25.00", undefined],
    ]);
    // The sales keep the keys they had without the summary rows.
    const sales = [first[0], first[1], first[3], second[0], second[2]];
    expect([...a.records, ...b.records].map((r) => r.key)).toEqual(new RowHasher().hashAll(sales));
  });

  it("reads the source's decimal mark for 1.234-like amounts", () => {
    const headers = ["Email", "Amount"];
    const rows = [{ Email: "a@x.io", Amount: "1.234" }];
    const read = (decimal: "." | ",") =>
      sheetRowMapper({ scope: "s", columnMap: {}, decimal })(chunk(headers, rows)).map(chunk(headers, rows))
        .records[0].amount;
    expect(read(".")).toBe("1.234");
    expect(read(",")).toBe("1234");
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
