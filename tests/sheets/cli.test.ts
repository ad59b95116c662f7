/**
 * The operator commands under the real Deno CLI: sheets:add (an edit link stored as its CSV export
 * link, a bad cron refused with one line), sheets:pull (progress, detection, exit status) and
 * elective:import (a file read as a stream, a repeat import, a refused export).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { findSheetSource } from "../../shared/sources/sheets/sheet-sources.ts";

const require = createRequire(import.meta.url);
let t: TestDatabase;
let csv: CsvServer;
const ID = "1CliTestSpreadsheetIdAbCdEfGh012";

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
});
afterAll(async () => {
  await csv?.close();
  await t?.close();
});

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [require.resolve("deno/bin.cjs"), "run", "-A", "shared/cli/main.ts", ...args],
      { env: { ...process.env, DATABASE_URL: t.url, DENO_NO_UPDATE_CHECK: "1" }, timeout: 30_000 },
      (error, out, err) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err }),
    );
  });
}

describe("the sheet commands", () => {
  it("sheets:add stores an edit link as its CSV export link, keeping the tab, and refuses a bad cron in one line", async () => {
    const added = await cli(
      "sheets:add",
      "--name",
      "team-sales",
      "--url",
      `https://docs.google.com/spreadsheets/d/${ID}/edit#gid=1234`,
      "--schedule",
      "*/30 * * * *",
      "--map",
      "email=Buyer Email,amount=Paid",
    );
    expect(added).toMatchObject({ code: 0, err: "" });
    expect(added.out).toMatch(/added sheet source 'team-sales'/);
    expect(added.out).toContain(`https://docs.google.com/spreadsheets/d/${ID}/export?format=csv&gid=1234`);
    expect(added.out).toMatch(/CSV export link \(tab gid 1234\)/);
    expect(await findSheetSource(t.kysely, "team-sales")).toMatchObject({
      kind: "SHEET",
      url: `https://docs.google.com/spreadsheets/d/${ID}/export?format=csv&gid=1234`,
      schedule: "*/30 * * * *",
      columnMap: { email: "Buyer Email", amount: "Paid" },
      enabled: true,
    });

    const bad = await cli("sheets:add", "--name", "team-sales", "--schedule", "every hour");
    expect(bad.code).toBe(1);
    expect(bad.err.trim()).toBe(
      "sheets:add: --schedule: 'every hour' has 2 fields; a cron expression has 5 (minute hour day-of-month month day-of-week), e.g. '0 * * * *'",
    );
    const disabled = await cli("sheets:add", "--name", "team-sales", "--disable");
    expect(disabled.out).toMatch(/updated sheet source 'team-sales'[\s\S]*enabled\s+no/);
    expect((await findSheetSource(t.kysely, "team-sales"))?.schedule).toBe("*/30 * * * *");
  });

  it("sheets:pull prints the columns it detected and the outcome, and exits 1 with the reason when a pull fails", async () => {
    csv.set("cli", {
      kind: "csv",
      csv: toCsv([["Date", "Name", "Email", "Amount"], ["3/4/2024", "Ann", "ann@example.com", "$5"]]),
    });
    csv.set("gone", { kind: "status", status: 404 });
    await cli("sheets:add", "--name", "cli", "--url", csv.exportUrl("cli"));
    const ok = await cli("sheets:pull", "--source", "cli");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/cli: columns: email ← 'Email', name ← 'Name', amount ← 'Amount', date ← 'Date'/);
    expect(ok.out).toMatch(
      /cli: SUCCESS: 1 created, 0 updated, 0 unchanged, 0 deleted, 0 failed \(sync_logs [0-9a-f-]{36}\)/,
    );

    await cli("sheets:add", "--name", "gone", "--url", csv.exportUrl("gone"));
    const failed = await cli("sheets:pull", "--source", "gone");
    expect(failed.code).toBe(1);
    expect(failed.err.trim()).toBe(
      "sheets:pull: 1 of 1 source(s) not pulled: gone (the CSV URL was not found (404))",
    );
    const unknown = await cli("sheets:pull", "--source", "nope");
    expect(unknown.err.trim()).toMatch(/^sheets:pull: there is no sheet source named 'nope'/);
  });

  it("elective:import reads the file as a stream, changes nothing the second time, and refuses an export without its revenue columns", async () => {
    const dir = mkdtempSync(join(tmpdir(), "elective-"));
    const file = join(dir, "orders.csv");
    writeFileSync(
      file,
      toCsv([
        ["Purchase Date", "Customer Name", "Email", "Checkout", "Currency", "Order Total", "Status"],
        ["2024-03-04 15:22:10", "Ann Lee", "ann@example.com", "Coaching", "USD", "$1,799.99", "Approved"],
        [
          "2024-03-05 09:01:44",
          "Bob Smith",
          "bob@example.com",
          "Coaching",
          "USD",
          "$997.00",
          "Pending Payment",
        ],
      ]),
    );
    const first = await cli("elective:import", file);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /SUCCESS: 2 orders: 2 created, 0 updated, 0 unchanged, 0 deleted, 0 failed \(scope elective:orders/,
    );
    expect(first.out).toMatch(/nothing was soft-deleted \(an import is partial unless --full\)/);
    const again = await cli("elective:import", file);
    expect(again.out).toMatch(/2 orders: 0 created, 0 updated, 2 unchanged/);

    const bad = join(dir, "bad.csv");
    writeFileSync(
      bad,
      toCsv([["Purchase Date", "Customer Name", "Email"], ["2024-03-04", "Ann", "ann@example.com"]]),
    );
    const refused = await cli("elective:import", bad);
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toMatch(
      /^elective:import: .*bad\.csv: the Elective export lacks 'Order Total', 'Status' \(headers: .*\); its revenue cannot be read \(sync_logs [0-9a-f-]{36}\)$/,
    );
    expect((await cli("elective:import", join(dir, "missing.csv"))).err.trim()).toMatch(
      /cannot read .*missing\.csv: no such file/,
    );
  });
});
