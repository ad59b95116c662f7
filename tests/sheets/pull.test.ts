/**
 * A sheet pull end to end against the local CSV server (Google's 307 export link included): rows,
 * people, exact money, the column detection, idempotent re-pulls, soft deletes of removed rows,
 * duplicate rows as two records, column moves, bad rows failing alone, and an emptied sheet.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { addSource, liveRows, logOf, pull, sleeps } from "./helpers.ts";

let t: TestDatabase;
let csv: CsvServer;
const SALES = readFileSync("tests/fixtures/sheets/sales.csv", "utf8");
const HEADER = ["Date", "Customer Name", "Email", "Product", "Amount"];
const row = (
  n: number,
  amount = `$${n}.00`,
) => [`3/${n}/2024`, `Buyer ${n}`, `b${n}@example.com`, "Course", amount];

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
});
afterAll(async () => {
  await csv?.close();
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, sheet_data, sheet_sources, sync_logs, sync_run_keys, sync_checkpoints cascade`
    .execute(t.kysely);
  sleeps.length = 0;
  csv.requests.length = 0;
});

async function source(id: string, rows: string[][] | string, columnMap = {}) {
  csv.set(id, { kind: "csv", csv: typeof rows === "string" ? rows : toCsv(rows) });
  return await addSource(t.kysely, { name: id, url: csv.exportUrl(id, 7), columnMap });
}

describe("a sheet pull", () => {
  it("stores every good row with its person and exact money, and reports the columns it detected", async () => {
    const s = await source("sales", SALES);
    const summary = await pull(t.kysely, "sales");

    // Two bad rows fail alone (row numbers are the sheet's; row 5 is blank, row 4 spans two lines).
    expect(summary).toMatchObject({
      status: "PARTIAL",
      created: 8,
      updated: 0,
      failed: 2,
      done: true,
      rows: 10,
    });
    expect(summary.rowErrors).toEqual([
      expect.stringMatching(/^row 10, amount \(column 'Amount'\): .*N\/A/),
      expect.stringMatching(/^row 11, date \(column 'Date'\): .*soon/),
    ]);
    expect(summary.columns).toEqual([
      "email ← 'Email'",
      "name ← 'Customer Name'",
      "amount ← 'Amount'",
      "date ← 'Date'",
      "currency ← 'Currency'",
    ]);
    // The export link answered 307 and the download was followed.
    expect(csv.requests.map((r) => r.status)).toEqual([307, 200]);

    const rows = await liveRows(t.kysely, "sheet_data", s.url);
    expect(rows).toHaveLength(8);
    const by = (email: string) => rows.filter((r) => r.email?.trim().toLowerCase() === email);
    // The (12.00) row is a refund: no gross, 12.00 refunded.
    expect(by("ann@example.com").map((r) => [r.amount, r.refunded_amount])).toEqual(
      expect.arrayContaining([["1234.56", "0"], [null, "12.00"]]),
    );
    expect(by("carla@example.es")[0]).toMatchObject({ amount: "1234.56", currency: "EUR", is_revenue: true });
    expect(by("hal@example.com")[0]).toMatchObject({ amount: "30", currency: "GBP" });
    expect(by("eve@example.com")[0]).toMatchObject({ amount: null, is_revenue: false });
    expect(by("bob@example.com")[0]).toMatchObject({ amount: "99.00", name: "Smith, Bob" });
    expect(by("ann@example.com")[0].date?.toISOString()).toMatch(/^2024-03-0[47]T00:00:00.000Z$/);

    // Every row is linked to its person; emails are matched trimmed and lower-cased.
    const users = await t.kysely.selectFrom("users").select(["id", "email"]).orderBy("email").execute();
    expect(users.map((u) => u.email)).toEqual([
      "ann@example.com",
      "bob@example.com",
      "carla@example.es",
      "dee@example.com",
      "eve@example.com",
      "hal@example.com",
    ]);
    expect(rows.every((r) => users.some((u) => u.id === r.user_id))).toBe(true);

    const log = await logOf(t.kysely, summary.syncLogId);
    expect(log).toMatchObject({ source: "SHEET", scope: s.url, status: "PARTIAL", created: 8, failed: 2 });
    expect(log.error_message).toMatch(/2 record\(s\) failed; first: row 10, amount/);
    const last = await t.kysely.selectFrom("sheet_sources").select("last_pulled_at")
      .executeTakeFirstOrThrow();
    expect(last.last_pulled_at).not.toBeNull();
  });

  it("rewrites nothing when the sheet has not changed", async () => {
    await source("same", [HEADER, row(1), row(2), row(3)]);
    await pull(t.kysely, "same");
    const before = await t.kysely.selectFrom("sheet_data").select(["id", "last_synced"]).orderBy("id")
      .execute();
    const again = await pull(t.kysely, "same");
    expect(again).toMatchObject({ status: "SUCCESS", created: 0, updated: 0, unchanged: 3, deleted: 0 });
    expect(await t.kysely.selectFrom("sheet_data").select(["id", "last_synced"]).orderBy("id").execute())
      .toEqual(before);
  });

  it("soft-deletes a row removed from the sheet, and keeps the others", async () => {
    const s = await source("removal", [HEADER, row(1), row(2), row(3), row(4)]);
    await pull(t.kysely, "removal");
    csv.set("removal", { kind: "csv", csv: toCsv([HEADER, row(1), row(3), row(4)]) });
    const summary = await pull(t.kysely, "removal");
    expect(summary).toMatchObject({ status: "SUCCESS", deleted: 1, unchanged: 3 });
    const gone = await t.kysely.selectFrom("sheet_data").select("email").where("deleted_at", "is not", null)
      .execute();
    expect(gone.map((g) => g.email)).toEqual(["b2@example.com"]);
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(3);
  });

  it("keeps two identical rows as two records, and removing one deletes exactly one", async () => {
    const s = await source("dupes", [HEADER, row(1), row(5), row(5), row(6)]);
    expect(await pull(t.kysely, "dupes")).toMatchObject({ created: 4 });
    const fives = (await liveRows(t.kysely, "sheet_data", s.url)).filter((r) => r.email === "b5@example.com");
    expect(fives).toHaveLength(2);
    expect(new Set(fives.map((r) => r.row_hash)).size).toBe(2);

    csv.set("dupes", { kind: "csv", csv: toCsv([HEADER, row(1), row(5), row(6)]) });
    expect(await pull(t.kysely, "dupes")).toMatchObject({ deleted: 1, unchanged: 3 });
  });

  it("keeps every row hash when a column moves", async () => {
    const s = await source("moves", [HEADER, row(1), row(2)]);
    await pull(t.kysely, "moves");
    const hashes = (await liveRows(t.kysely, "sheet_data", s.url)).map((r) => r.row_hash);
    const moved = (cells: string[]) => [cells[4], cells[2], cells[0], cells[1], cells[3]];
    csv.set("moves", { kind: "csv", csv: toCsv([moved(HEADER), moved(row(1)), moved(row(2))]) });
    expect(await pull(t.kysely, "moves")).toMatchObject({
      status: "SUCCESS",
      created: 0,
      deleted: 0,
      unchanged: 2,
    });
    expect((await liveRows(t.kysely, "sheet_data", s.url)).map((r) => r.row_hash)).toEqual(hashes);
  });

  it("reads the columns column_map names, ahead of the usual headers", async () => {
    const s = await source("mapped", [
      ["Contact", "Email", "Paid", "Total"],
      ["x@example.com", "ops@example.com", "$7.50", "$999.00"],
    ], { email: "Contact", amount: "Paid" });
    const summary = await pull(t.kysely, "mapped");
    expect(summary.columns).toEqual(
      expect.arrayContaining(["email ← 'Contact' (column_map)", "amount ← 'Paid' (column_map)"]),
    );
    expect((await liveRows(t.kysely, "sheet_data", s.url))[0]).toMatchObject({
      email: "x@example.com",
      amount: "7.50",
    });
  });

  it("retries a 429 (honouring Retry-After) and then pulls", async () => {
    await addSource(t.kysely, { name: "limited", url: csv.exportUrl("limited") });
    csv.set("limited", { kind: "rate-limit-once", csv: toCsv([HEADER, row(1)]), retryAfter: "2" });
    const summary = await pull(t.kysely, "limited");
    expect(summary).toMatchObject({ status: "SUCCESS", created: 1 });
    expect(sleeps).toEqual([2000]);
    expect(csv.requests.map((r) => r.status)).toEqual([307, 429, 307, 200]);
  });

  it("deletes nothing when the sheet is emptied to its header row", async () => {
    const s = await source("emptied", [HEADER, row(1), row(2)]);
    await pull(t.kysely, "emptied");
    csv.set("emptied", { kind: "csv", csv: toCsv([HEADER]) });
    const summary = await pull(t.kysely, "emptied");
    expect(summary).toMatchObject({ status: "FAILED", deleted: 0 });
    expect(summary.error).toMatch(
      /the sheet is empty: it has a header row but no data rows; nothing was deleted/,
    );
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(2);
    expect((await logOf(t.kysely, summary.syncLogId)).error_message).toBe(summary.error);
  });

  it("lets the safety valve refuse to delete most of a sheet, and --force delete it", async () => {
    const s = await source("valve", [HEADER, row(1), row(2), row(3), row(4)]);
    await pull(t.kysely, "valve");
    csv.set("valve", { kind: "csv", csv: toCsv([HEADER, row(1)]) });
    const refused = await pull(t.kysely, "valve");
    expect(refused).toMatchObject({
      status: "PARTIAL",
      deleted: 0,
      deleteRefused: { wouldDelete: 3, live: 4 },
    });
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(4);
    expect(await pull(t.kysely, "valve", { force: true })).toMatchObject({ status: "SUCCESS", deleted: 3 });
  });
});
