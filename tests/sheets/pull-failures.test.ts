/**
 * Bad input gets a FAILED run with a clear one-line reason in sync_logs and deletes nothing: a
 * sheet that is not shared (Google's HTML sign-in page with status 200), a 404, a server that
 * never answers or stops mid-body, an empty body, a header row without an email column, a
 * column_map naming a missing header, and a 429 that outlasts the retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, type SheetBehaviour, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { addSource, liveRows, logOf, pull } from "./helpers.ts";

let t: TestDatabase;
let csv: CsvServer;
const HEADER = ["Date", "Name", "Email", "Amount"];
const GOOD = toCsv([HEADER, ["3/4/2024", "Ann", "ann@example.com", "$10.00"], [
  "3/5/2024",
  "Bob",
  "bob@example.com",
  "$20.00",
]]);

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

const cases: [string, SheetBehaviour, RegExp][] = [
  [
    "a sheet that is not shared (HTML sign-in page, status 200)",
    { kind: "login" },
    /answered with an HTML page, not CSV/,
  ],
  ["an HTML page served as text/plain", { kind: "login", contentType: "text/plain" }, /HTML page, not CSV/],
  ["a 404", { kind: "status", status: 404 }, /^the CSV URL was not found \(404\)$/],
  ["a 403", { kind: "status", status: 403 }, /refused access \(403\)/],
  ["a server that never answers", { kind: "stall" }, /did not answer within 400 ms/],
  [
    "a server that stops mid-body",
    { kind: "stall-body", head: "Date,Name,Email,Amount\r\n3/4/2024,Ann" },
    /stopped sending the CSV for 400 ms/,
  ],
  ["an empty body", { kind: "empty" }, /the CSV is empty: it has no header row/],
  ["a header row without an email column", {
    kind: "csv",
    csv: toCsv([["Date", "Name", "Amount"], ["3/4/2024", "Ann", "$1"]]),
  }, /the header row has no email column \(headers: 'Date', 'Name', 'Amount'\)/],
  ["a 503 that outlasts the retries", { kind: "status", status: 503 }, /answered 503 after 4 attempts/],
];

describe("a pull that cannot read its sheet", () => {
  for (const [what, behaviour, reason] of cases) {
    it(`logs FAILED with a clear reason and deletes nothing: ${what}`, async () => {
      const source = await addSource(t.kysely, { name: "broken", url: csv.exportUrl("broken") });
      csv.set("broken", { kind: "csv", csv: GOOD });
      expect(await pull(t.kysely, "broken")).toMatchObject({ status: "SUCCESS", created: 2 });

      csv.set("broken", behaviour);
      const summary = await pull(t.kysely, "broken");
      expect(summary).toMatchObject({ status: "FAILED", done: true, deleted: 0 });
      expect(summary.error).toMatch(reason);
      expect(summary.error).not.toContain("\n");
      const log = await logOf(t.kysely, summary.syncLogId);
      expect(log).toMatchObject({ status: "FAILED", source: "SHEET", scope: source.url, deleted: 0 });
      expect(log.error_message).toBe(summary.error);
      expect(await liveRows(t.kysely, "sheet_data", source.url)).toHaveLength(2);
      // A failed pull is not a pull: last_pulled_at keeps the last good one.
      const stored = await t.kysely.selectFrom("sheet_sources").select("last_pulled_at")
        .executeTakeFirstOrThrow();
      expect(stored.last_pulled_at!.getTime()).toBeLessThan(log.started_at.getTime());
    });
  }

  it("refuses a column_map naming a header the sheet does not have", async () => {
    await addSource(t.kysely, {
      name: "mapped",
      url: csv.exportUrl("mapped"),
      columnMap: { email: "Buyer E-mail" },
    });
    csv.set("mapped", { kind: "csv", csv: GOOD });
    const summary = await pull(t.kysely, "mapped");
    expect(summary).toMatchObject({ status: "FAILED" });
    expect(summary.error).toMatch(
      /^email: column_map names 'Buyer E-mail', which is not a header of the sheet/,
    );
  });

  it("refuses a Sheets API source when no Google credentials are configured", async () => {
    await addSource(t.kysely, { name: "api", url: "sheets:1AbCdEfGhIjKlMnOpQrStUvWxYz012345!Sales" });
    const summary = await pull(t.kysely, "api");
    expect(summary).toMatchObject({ status: "FAILED" });
    expect(summary.error).toMatch(/set GOOGLE_SERVICE_ACCOUNT_JSON .* or GOOGLE_API_KEY/);
  });
});
