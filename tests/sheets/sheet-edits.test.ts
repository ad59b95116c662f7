/**
 * Revenue stays true when people edit, total, rename, move and break their sheets: a TOTAL row is
 * skipped and reported, an accounting zero reads, a negative sale is a refund, a source's decimal
 * mark settles `1.234`, a download whose end cannot be verified deletes nothing and holds back a
 * row that may be cut, and a source whose download breaks fails alone and backs off. The sheets
 * are CSV as Google's export writes it: displayed values, CRLF, trailing empty columns, blank rows.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { addSource, FAST_CSV, KINDS, liveRows, logOf, pull } from "./helpers.ts";
import { pullSheets } from "../../shared/sources/sheets/pull-due.ts";
import { isUnavailable } from "../../shared/db/client.ts";
import { UpstreamError } from "../../shared/errors.ts";
import { summaryJson } from "../../shared/sources/sheets/pull-app.ts";

let t: TestDatabase;
let csv: CsvServer;

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
});

/** Rows as Google exports them: two trailing empty columns on every line, CRLF, no final line break. */
const exported = (rows: string[][]) => toCsv(rows.map((r) => [...r, "", ""]));
const HEADER = ["Date", "Customer", "Email", "Amount", "Notes"];
const BLANK = ["", "", "", "", ""];
const SALES = [
  ["3/4/2024", "Ann Lee", "ann@example.com", "$1,700.17", ""],
  ["3/5/2024", "Bob Ode", "bob@example.com", "$250.00", ""],
  BLANK,
  ["3/6/2024", "Cy Park", "cy@example.com", "$49.83", "via PayPal"],
];

async function march() {
  return await t.kysely.selectFrom("revenue_by_month").select(["gross_usd", "refunded_usd", "net_usd"])
    .where("source", "=", "SHEET").where("month", "=", new Date("2024-03-01T00:00:00Z")).executeTakeFirst();
}

describe("a sheet people edit", () => {
  it("skips a TOTAL row and reports it, reads an accounting zero, and counts a negative sale as a refund", async () => {
    const s = await addSource(t.kysely, { name: "sales", url: csv.exportUrl("sales") });
    csv.set("sales", { kind: "csv", csv: exported([HEADER, ...SALES]) });
    expect(await pull(t.kysely, "sales")).toMatchObject({ status: "SUCCESS", created: 3 });
    expect(await march()).toEqual({ gross_usd: "2000.00", refunded_usd: "0.00", net_usd: "2000.00" });

    // Someone adds a comp (accounting zero), a refund in brackets, a blank row and a TOTAL row.
    csv.set("sales", {
      kind: "csv",
      csv: exported([
        HEADER,
        ...SALES,
        ["3/7/2024", "Di Roe", "di@example.com", "$ -", "comp"],
        ["3/8/2024", "Bob Ode", "bob@example.com", "($50.00)", "refund"],
        BLANK,
        ["TOTAL", "", "", "$1,950.00", ""],
      ]),
    });
    const summary = await pull(t.kysely, "sales");
    expect(summary).toMatchObject({
      status: "SUCCESS",
      created: 2,
      unchanged: 3,
      deleted: 0,
      failed: 0,
      rowErrors: [],
      summaryRows: { count: 1, rowNumbers: [9] },
    });
    expect(summaryJson(summary).summary_rows).toEqual({ count: 1, row_numbers: [9] });

    const rows = await liveRows(t.kysely, "sheet_data", s.url);
    expect(rows.map((r) => [r.email, r.amount, r.refunded_amount, r.is_revenue]).sort()).toEqual([
      ["ann@example.com", "1700.17", "0", true],
      ["bob@example.com", null, "50.00", true],
      ["bob@example.com", "250.00", "0", true],
      ["cy@example.com", "49.83", "0", true],
      ["di@example.com", "0", "0", true],
    ]);
    // Gross stays the sales; the refund is refunded, never negative gross; the TOTAL is no sale.
    expect(await march()).toEqual({ gross_usd: "2000.00", refunded_usd: "50.00", net_usd: "1950.00" });
    const months = await t.kysely.selectFrom("revenue_by_month").selectAll().where("source", "=", "SHEET")
      .execute();
    expect(months).toHaveLength(1);
    const bob = await t.kysely.selectFrom("revenue_by_user").select("sheet_usd")
      .where("email", "=", "bob@example.com").executeTakeFirstOrThrow();
    expect(bob.sheet_usd).toBe("200.00");
  });

  it("skips a bare subtotal that is the sum of the rows above it, and names the column of a refused row", async () => {
    const s = await addSource(t.kysely, { name: "sub", url: csv.exportUrl("sub") });
    csv.set("sub", {
      kind: "csv",
      csv: exported([HEADER, ...SALES, ["", "", "", "$2,000.00", ""], [
        "3/9/2024",
        "Eve Lam",
        "eve@example.com",
        "N/A",
        "",
      ]]),
    });
    const summary = await pull(t.kysely, "sub");
    expect(summary).toMatchObject({
      status: "PARTIAL",
      created: 3,
      failed: 1,
      summaryRows: { count: 1, rowNumbers: [6] },
    });
    expect(summary.rowErrors).toEqual(["row 7, amount (column 'Amount'): no amount ('N/A')"]);
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(3);
  });

  it("reads 1.234 by the source's decimal mark, set with the source", async () => {
    const s = await addSource(t.kysely, { name: "de", url: csv.exportUrl("de"), decimalMark: "," });
    expect(s.decimalMark).toBe(",");
    csv.set("de", {
      kind: "csv",
      csv: exported([HEADER, ["3/4/2024", "Ann Lee", "ann@example.com", "1.234", ""], [
        "3/5/2024",
        "Bob Ode",
        "bob@example.com",
        "CHF 1’234.56",
        "",
      ]]),
    });
    expect(await pull(t.kysely, "de")).toMatchObject({ status: "SUCCESS", created: 2 });
    const rows = await liveRows(t.kysely, "sheet_data", s.url);
    expect(rows.map((r) => [r.email, r.amount, r.currency]).sort()).toEqual([
      ["ann@example.com", "1234", null],
      ["bob@example.com", "1234.56", "CHF"],
    ]);
  });
});

describe("a download whose end cannot be verified", () => {
  const FULL = [HEADER, ["3/4/2024", "Ann Lee", "ann@example.com", "$250.00", ""], [
    "3/6/2024",
    "Cy Park",
    "cy@example.com",
    "$49.83",
    "",
  ], ["3/5/2024", "Bob Ode", "bob@example.com", "$1700.17", ""]];

  it("holds back a last row that may be cut, deletes nothing, and ends PARTIAL with the reason", async () => {
    const s = await addSource(t.kysely, { name: "cut", url: csv.exportUrl("cut") });
    csv.set("cut", { kind: "csv", csv: toCsv(FULL) });
    expect(await pull(t.kysely, "cut")).toMatchObject({ status: "SUCCESS", created: 3 });

    // The connection closes after "$17" of "$1700.17", and Cy's row was removed meanwhile.
    const body = toCsv([FULL[0], FULL[1], FULL[3]]);
    csv.set("cut", { kind: "csv", csv: body.slice(0, body.length - 5), framing: "close" });
    const summary = await pull(t.kysely, "cut");
    expect(summary).toMatchObject({ status: "PARTIAL", deleted: 0, created: 0, unchanged: 1 });
    expect(summary.incomplete).toMatch(
      /end could not be verified \(no Content-Length, not chunked\) and it did not end with a line break: row 3 may be cut short and was held back; nothing was soft-deleted/,
    );
    expect((await logOf(t.kysely, summary.syncLogId)).error_message).toContain("row 3 may be cut short");
    const rows = await liveRows(t.kysely, "sheet_data", s.url);
    expect(rows.map((r) => r.amount).sort()).toEqual(["1700.17", "250.00", "49.83"]);
  });

  it("keeps a last row ended by a line break, still deleting nothing", async () => {
    const s = await addSource(t.kysely, { name: "closed", url: csv.exportUrl("closed") });
    csv.set("closed", { kind: "csv", csv: toCsv(FULL) });
    await pull(t.kysely, "closed");
    csv.set("closed", { kind: "csv", csv: toCsv([FULL[0], FULL[1], FULL[3]]) + "\r\n", framing: "close" });
    const summary = await pull(t.kysely, "closed");
    expect(summary).toMatchObject({ status: "PARTIAL", deleted: 0, unchanged: 2 });
    expect(summary.incomplete).toMatch(/could not be verified .*; nothing was soft-deleted$/);
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(3);
  });
});

describe("a source whose download keeps breaking", () => {
  const GOOD = exported([HEADER, ...SALES]);

  it("fails alone, lets the others be pulled, and backs off instead of going first", async () => {
    const hourly = "0 * * * *";
    await addSource(t.kysely, { name: "alpha", url: csv.exportUrl("alpha"), schedule: hourly });
    await addSource(t.kysely, { name: "beta", url: csv.exportUrl("beta"), schedule: hourly });
    csv.set("alpha", { kind: "break-body", head: "Date,Customer,Email,Amount\r\n3/4/2024,Ann" });
    csv.set("beta", { kind: "csv", csv: GOOD });
    let clock = Date.parse("2026-03-02T10:05:00Z");
    const tick = async () =>
      (await pullSheets(t.kysely, { kinds: KINDS, csv: FAST_CSV, dueOnly: true, now: () => clock }))
        .map((s) => [s.source, s.status, s.error ?? null]);

    expect(await tick()).toEqual([
      ["alpha", "FAILED", expect.stringMatching(/^the CSV URL broke off the CSV mid-body \(/)],
      ["beta", "SUCCESS", null],
    ]);
    const logs = await t.kysely.selectFrom("sync_logs").select(["status", "error_message"]).orderBy(
      "started_at",
    )
      .execute();
    expect(logs.map((l) => l.status)).toEqual(["FAILED", "SUCCESS"]);
    expect(logs[0].error_message).not.toContain("\n");

    // Next hour both are due; the failing one goes last, and fails again.
    clock += 3600_000;
    expect((await tick()).map(([name, status]) => [name, status])).toEqual([["beta", "SUCCESS"], [
      "alpha",
      "FAILED",
    ]]);
    // Twice in a row: it waits two hours, not one.
    clock += 3600_000;
    expect((await tick()).map(([name]) => name)).toEqual(["beta"]);
    clock += 3600_000;
    expect((await tick()).map(([name]) => name)).toEqual(["beta", "alpha"]);

    // Mended: one good pull and it is pulled on its schedule again, in name order.
    csv.set("alpha", { kind: "csv", csv: GOOD });
    clock += 4 * 3600_000;
    expect((await tick()).map(([name, status]) => [name, status])).toEqual([["beta", "SUCCESS"], [
      "alpha",
      "SUCCESS",
    ]]);
    clock += 3600_000;
    expect((await tick()).map(([name]) => name)).toEqual(["alpha", "beta"]);
    const running = await t.kysely.selectFrom("sync_logs").select("id").where("status", "=", "RUNNING")
      .execute();
    expect(running).toEqual([]);
  });

  it("tells a database outage by the error's origin, not by a word in its message", () => {
    expect(isUnavailable(new UpstreamError("the CSV URL broke off the CSV mid-body (connection reset)")))
      .toBe(false);
    expect(isUnavailable(new TypeError("error reading a body from connection: connection reset"))).toBe(
      false,
    );
    expect(isUnavailable(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }))).toBe(false);
    expect(isUnavailable(new Error("cannot connect to the Sheets API"))).toBe(false);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(isUnavailable(refused)).toBe(true);
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), {
      name: "PostgresError",
      code: "57P01",
    });
    expect(isUnavailable(shutdown)).toBe(true);
    const unique = Object.assign(new Error("could not connect the rows: duplicate key"), {
      name: "PostgresError",
      code: "23505",
    });
    expect(isUnavailable(unique)).toBe(false);
  });
});
