import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { csvRows } from "../tabular/csv-stream.ts";
import { RowHasher } from "../tabular/row-hash.ts";
import type { SourceRecord } from "../../sync/record.ts";
import { detectElectiveColumns } from "./elective-columns.ts";
import { electiveRowToRecord, mapElectiveRows } from "./map-elective-row.ts";

const SCOPE = "elective:orders";

async function importFixture(name: string) {
  const body = new Response(readFileSync(new URL(`../../../tests/fixtures/sheets/${name}`, import.meta.url)))
    .body!;
  const hasher = new RowHasher();
  const records: SourceRecord[] = [];
  const failures: { rowNumber: number; reason: string }[] = [];
  let detection: ReturnType<typeof detectElectiveColumns> | null = null;
  const rows: Record<string, string>[] = [];
  for await (const chunk of csvRows(body)) {
    detection ??= detectElectiveColumns(chunk.headers, chunk.rows.slice(0, 50));
    const result = mapElectiveRows(chunk, { scope: SCOPE, columns: detection.columns, hasher });
    records.push(...result.records);
    failures.push(...result.failures);
    rows.push(...chunk.rows);
  }
  return { records, failures, detection: detection!, rows };
}

describe("mapElectiveRows", () => {
  it("maps an orders export: gross amount, UTC purchase date, revenue by status", async () => {
    const { records, failures } = await importFixture("elective-orders.csv");
    expect(failures).toEqual([{ rowNumber: 9, reason: "row 9, Order Total: no amount ('TBD')" }]);
    expect(records.map((r) => [r.email, r.amount, r.currency, r.revenue, r.refunded])).toEqual([
      ["ann@example.com", "1799.99", "USD", true, "0"],
      ["bob@example.com", "997.00", "USD", false, null],
      ["carla@example.es", "1799.99", "USD", true, "1799.99"],
      ["dee@example.com", "2500.00", "USD", false, null],
      ["eve@example.com", "2500.00", "USD", false, null],
      ["frank@example.com", "1799.99", "USD", true, "0"],
      ["frank@example.com", "1799.99", "USD", true, "0"],
    ]);
    expect(records[0]).toMatchObject({
      scope: SCOPE,
      name: "Ann Lee",
      changedAt: null,
      date: new Date("2024-03-04T15:22:10Z"),
    });
    expect((records[0].raw as Record<string, string>)["Net Amount"]).toBe("$1,692.00");
  });

  it("keeps two identical orders as two records", async () => {
    const { records } = await importFixture("elective-orders.csv");
    expect(new Set(records.map((r) => r.key)).size).toBe(records.length);
  });

  it("keeps an order's key when its status, fees or payout change, so a status flip updates it", async () => {
    const { rows, detection } = await importFixture("elective-orders.csv");
    const ctx = { scope: SCOPE, columns: detection.columns, rowNumber: 3, occurrence: 0 };
    const pending = await electiveRowToRecord(rows[1], ctx);
    const approved = await electiveRowToRecord({
      ...rows[1],
      Status: "Approved",
      Fees: "$30.00",
      "Net Amount": "$967.00",
    }, ctx);
    expect(pending.ok && approved.ok).toBe(true);
    if (!pending.ok || !approved.ok) return;
    expect(approved.record.key).toBe(pending.record.key);
    expect([pending.record.revenue, approved.record.revenue]).toEqual([false, true]);
  });

  it("gives a different key to a different order: other total, product or time", async () => {
    const { rows, detection } = await importFixture("elective-orders.csv");
    const ctx = { scope: SCOPE, columns: detection.columns, rowNumber: 2, occurrence: 0 };
    const key = async (row: Record<string, string>) => {
      const result = await electiveRowToRecord(row, ctx);
      return result.ok ? result.record.key : result.reason;
    };
    const base = await key(rows[0]);
    const changes: Record<string, string>[] = [
      { "Order Total": "$1,800.00" },
      { Checkout: "Mastermind" },
      { "Purchase Date": "2024-03-04 15:22:11" },
    ];
    for (const change of changes) {
      expect(await key({ ...rows[0], ...change }), JSON.stringify(change)).not.toBe(base);
    }
    // The same order written differently is the same order, and so is one whose buyer was corrected.
    expect(await key({ ...rows[0], Email: "ann.lee@example.org", "Customer Name": "Ann Leigh" })).toBe(base);
    expect(
      await key({
        ...rows[0],
        "Order Total": "1799.990",
        Email: "ANN@example.com",
        Checkout: " coaching  program",
      }),
    ).toBe(base);
  });

  it("carries the purchase match key, and reads headers with a qualifier and statuses in any case", async () => {
    const columns = detectElectiveColumns([
      "Purchase Date (UTC)",
      "Customer Name",
      "Checkout",
      "Order Total (USD)",
      "Status",
    ])
      .columns;
    expect(columns).toMatchObject({ purchaseDate: "Purchase Date (UTC)", orderTotal: "Order Total (USD)" });
    const ctx = { scope: SCOPE, columns, rowNumber: 2, occurrence: 0 };
    const result = await electiveRowToRecord({
      "Purchase Date (UTC)": "2024-03-04 15:22:10",
      "Customer Name": "Ann Lee",
      Checkout: "Coaching Program",
      "Order Total (USD)": "$1,799.99",
      Status: "REFUNDED",
    }, ctx);
    expect(result.ok && result.record).toMatchObject({
      currency: "USD",
      revenue: true,
      refunded: "1799.99",
      parentKey: "m:2024-03-04T15:22|1799.99|ann lee#coaching program",
    });
  });

  it("reads the other export layout: Student Name, Product Purchased, an email column found by content", async () => {
    const { records, failures, detection } = await importFixture("elective-orders-students.csv");
    expect(failures).toEqual([]);
    expect(detection.columns).toMatchObject({
      name: "Student Name",
      product: "Product Purchased",
      email: "Contact",
    });
    expect(records.map((r) => [r.email, r.name, r.amount, r.currency, r.revenue])).toEqual([
      ["ann@example.com", "Ann Lee", "1799.99", "USD", true],
      ["bob@example.com", "Bob Smith", "997.00", "USD", true],
      [null, "Hal Brook", "450.00", "CAD", true],
    ]);
    expect(records[0].date).toEqual(new Date("2024-03-04T15:22:00Z"));
  });

  it("does not count undocumented statuses or orders without a total as revenue", async () => {
    const columns = { orderTotal: "Order Total", status: "Status", purchaseDate: "Purchase Date" };
    const ctx = { scope: SCOPE, columns, rowNumber: 2, occurrence: 0 };
    const declined = await electiveRowToRecord({
      "Order Total": "100",
      Status: "Declined",
      "Purchase Date": "3/4/2024",
    }, ctx);
    const blank = await electiveRowToRecord({
      "Order Total": "",
      Status: "Approved",
      "Purchase Date": "3/4/2024",
    }, ctx);
    expect(declined.ok && declined.record.revenue).toBe(false);
    expect(blank.ok && [blank.record.amount, blank.record.revenue]).toEqual([null, false]);
  });

  it("fails a row with an unreadable purchase date or a total in another currency, naming the row", async () => {
    const columns = {
      orderTotal: "Order Total",
      status: "Status",
      purchaseDate: "Purchase Date",
      currency: "Currency",
    };
    const ctx = { scope: SCOPE, columns, rowNumber: 4, occurrence: 0 };
    const badDate = await electiveRowToRecord({
      "Order Total": "100",
      Status: "Approved",
      "Purchase Date": "yesterday",
    }, ctx);
    expect(!badDate.ok && badDate.reason).toMatch(/^row 4, Purchase Date: /);
    const conflict = await electiveRowToRecord(
      { "Order Total": "€100", Currency: "USD", Status: "Approved" },
      ctx,
    );
    expect(!conflict.ok && conflict.reason).toBe(
      "row 4, Order Total: '€100' is not in USD, the order's currency",
    );
  });
});
