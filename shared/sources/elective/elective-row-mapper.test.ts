import { describe, expect, it } from "vitest";
import type { RowChunk } from "../tabular/row-chunk.ts";
import { electiveRowMapper } from "./elective-row-mapper.ts";

const HEADERS = ["Purchase Date", "Customer Name", "Buyer", "Order Total", "Currency", "Status"];
const chunk = (rows: Record<string, string>[]): RowChunk<unknown> => ({
  headers: HEADERS,
  rows,
  rowNumbers: rows.map((_, i) => i + 2),
  firstRowNumber: 2,
});
const order = (status: string, total = "$100.00") => ({
  "Purchase Date": "2024-03-04 10:00:00",
  "Customer Name": "Ann Lee",
  Buyer: "ann@example.com",
  "Order Total": total,
  Currency: "USD",
  Status: status,
});

describe("electiveRowMapper", () => {
  it("finds the columns, the email by its content, and keeps an order's key when its status flips", () => {
    const mapper = electiveRowMapper({ scope: "e" });
    const first = mapper(chunk([order("Approved")]));
    expect(first.columns).toEqual(expect.arrayContaining(["email ← 'Buyer'", "orderTotal ← 'Order Total'"]));
    const approved = first.map(chunk([order("Approved")])).records[0];
    const refunded =
      electiveRowMapper({ scope: "e" })(chunk([order("Refunded")])).map(chunk([order("Refunded")]))
        .records[0];
    expect(refunded.key).toBe(approved.key);
    expect(refunded).toMatchObject({ revenue: true, refunded: "100.00", amount: "100.00" });
  });

  it("lets column_map name Elective's columns", () => {
    const mapper = electiveRowMapper({ scope: "e", columnMap: { email: "Customer Name" } })(chunk([]));
    expect(mapper.columns).toContain("email ← 'Customer Name' (column_map)");
  });

  it("refuses an export without the columns revenue needs, naming them", () => {
    const headers = ["Purchase Date", "Customer Name"];
    expect(() => electiveRowMapper({ scope: "e" })({ headers, rows: [], rowNumbers: [], firstRowNumber: 2 }))
      .toThrow(
        "the Elective export lacks 'Order Total', 'Status' (headers: 'Purchase Date', 'Customer Name'); its revenue cannot be read",
      );
  });

  it("reports an order it cannot read without a key, so a full read deletes nothing", () => {
    const mapped = electiveRowMapper({ scope: "e" })(chunk([])).map(chunk([order("Approved", "TBD")]));
    expect(mapped.records).toEqual([]);
    expect(mapped.unmapped).toEqual([{ key: null, reason: expect.stringMatching(/^row 2, Order Total/) }]);
  });
});
