/**
 * The soft-delete safety valve and partial reads: a full sync soft-deletes only what a complete
 * read of its source no longer contains. An upstream that answers an empty sheet, an HTML sign-in
 * page instead of CSV, or fails in the middle of its pages (Whop, HighLevel) deletes nothing; an
 * upstream that really lists nothing is stopped by the safety valve.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import {
  startWhopApiDouble,
  type WhopApiDouble,
  whopMembershipObject,
  whopPaymentObject,
} from "../helpers/whop-api-double.ts";
import { type GhlApiDouble, makeContacts, startGhlApiDouble } from "../helpers/ghl-api-double.ts";
import { pullSheets } from "../../shared/sources/sheets/pull-due.ts";
import { saveSheetSource } from "../../shared/sources/sheets/sheet-sources.ts";
import { sheetKind } from "../../shared/sources/sheets/sheet-kind.ts";
import { electiveKind } from "../../shared/sources/elective/elective-kind.ts";
import { WhopApi } from "../../shared/sources/whop/whop-api.ts";
import { runWhopBackfill } from "../../shared/sources/whop/backfill.ts";
import { GhlApi } from "../../shared/sources/ghl/ghl-api.ts";
import { runGhlBackfillSlice } from "../../shared/sources/ghl/backfill.ts";

const WHOP_KEY = "whop_key_partial_reads";
const GHL_TOKEN = "pit-partial-reads";
const LOCATION = "locPartial01";
let t: TestDatabase;
let csv: CsvServer;
let whop: WhopApiDouble;
let ghl: GhlApiDouble;
let cases = 0;

beforeAll(async () => {
  [t, csv, whop, ghl] = await Promise.all([
    openTestDatabase(),
    startCsvServer(),
    startWhopApiDouble({ apiKey: WHOP_KEY }),
    startGhlApiDouble({ token: GHL_TOKEN, locationId: LOCATION, contacts: makeContacts(120, LOCATION) }),
  ]);
}, 60_000);
afterAll(async () => {
  console.log(
    `[reliability] partial reads: ${cases} failed or empty upstream reads, 0 rows soft-deleted by any of them`,
  );
  await Promise.all([csv?.close(), whop?.stop(), ghl?.close()]);
  await t?.close();
});

const noWait = { sleep: () => Promise.resolve(), random: () => 0, maxAttempts: 2 };
const live = async (table: "sheet_data" | "whop_data" | "ghl_data") =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where deleted_at is null`
    .execute(t.kysely)).rows[0].n;
const deletedAny = async () =>
  (await sql<{ n: number }>`
    select ((select count(*) from sheet_data where deleted_at is not null)
         + (select count(*) from whop_data where deleted_at is not null)
         + (select count(*) from ghl_data where deleted_at is not null))::int as n`.execute(t.kysely)).rows[0]
    .n;

describe("sheets: a read that is not the whole sheet deletes nothing", () => {
  const HEADER = ["Date", "Name", "Email", "Amount"];
  const rows = Array.from(
    { length: 12 },
    (_, i) => [`2024-03-${i + 1}`, `P ${i}`, `p${i}@example.com`, `$${i + 1}.00`],
  );
  const pull = async () =>
    (await pullSheets(t.kysely, {
      kinds: [sheetKind, electiveKind],
      source: "partial",
      csv: { timeoutMs: 400, sleep: () => Promise.resolve() },
    }))[0];

  it("keeps every row through an empty body, an HTML sign-in page, a body cut short, and a sheet emptied to its header", async () => {
    await saveSheetSource(t.kysely, { name: "partial", url: csv.exportUrl("partial") });
    csv.set("partial", { kind: "csv", csv: toCsv([HEADER, ...rows]) });
    expect(await pull()).toMatchObject({ status: "SUCCESS", created: 12 });
    expect(await live("sheet_data")).toBe(12);

    const failures: [string, Parameters<CsvServer["set"]>[1], string][] = [
      ["empty body", { kind: "empty" }, "FAILED"],
      ["HTML sign-in page", { kind: "login" }, "FAILED"],
      ["HTML served as CSV", { kind: "login", contentType: "text/csv" }, "FAILED"],
      ["a body that stops mid-way", {
        kind: "stall-body",
        head: `${HEADER.join(",")}\r\n2024-03-01,P 0,p0@example.com,$1.00\r\n`,
      }, "FAILED"],
      ["a 500", { kind: "status", status: 500 }, "FAILED"],
      // A sheet emptied to its header is refused as a read before the safety valve is even needed.
      ["the header row alone", { kind: "csv", csv: toCsv([HEADER]) }, "FAILED"],
    ];
    for (const [what, behaviour, status] of failures) {
      cases++;
      csv.set("partial", behaviour);
      const summary = await pull();
      expect(summary.status, `${what}: ${JSON.stringify(summary)}`).toBe(status);
      expect(summary.deleted, what).toBe(0);
      expect(await live("sheet_data"), what).toBe(12);
    }
    expect(await deletedAny()).toBe(0);
    const logs = await t.kysely.selectFrom("sync_logs").select(["status", "error_message"]).where(
      "source",
      "=",
      "SHEET",
    )
      .orderBy("started_at").execute();
    for (const log of logs.slice(1)) expect(log.error_message, JSON.stringify(log)).toBeTruthy();
  });
});

describe("backfills: a failure mid-pagination deletes nothing", () => {
  const whopApi = () =>
    new WhopApi({ apiKey: WHOP_KEY, baseUrl: whop.base, companyId: "biz_partial", ...noWait });
  const ghlApi = () =>
    new GhlApi({
      token: GHL_TOKEN,
      baseUrl: ghl.url,
      ...noWait,
      now: () => Date.now(),
      sleep: () => Promise.resolve(),
    });

  it("Whop: a full backfill whose second page keeps failing, or whose lists come back empty, keeps every row", async () => {
    whop.objects.payments = Array.from({ length: 9 }, (_, i) => whopPaymentObject(i + 1));
    whop.objects.memberships = Array.from({ length: 3 }, (_, i) => whopMembershipObject(i + 1));
    expect((await runWhopBackfill(t.kysely, whopApi(), { full: true, pageSize: 3 })).done).toBe(true);
    expect(await live("whop_data")).toBe(12);

    // Whop loses most objects, and fails on page 2 of the read that would notice.
    cases++;
    whop.objects.payments = whop.objects.payments.slice(0, 4);
    whop.failFrom("payments", 2, 500);
    await expect(runWhopBackfill(t.kysely, whopApi(), { full: true, pageSize: 3 })).rejects.toThrow(/500/);
    expect(await live("whop_data")).toBe(12);

    // A read that completes but lists nothing: the safety valve refuses to empty the scope.
    cases++;
    whop.stopFailing();
    await sql`delete from sync_checkpoints`.execute(t.kysely);
    whop.objects.payments = [];
    whop.objects.memberships = [];
    const empty = await runWhopBackfill(t.kysely, whopApi(), { full: true, pageSize: 3 });
    expect(empty.done).toBe(true);
    expect(empty.finished.every((r) => r.deleted === 0)).toBe(true);
    expect(await live("whop_data")).toBe(12);
  });

  it("HighLevel: a full backfill failing after its first page, or listing no contacts, keeps every contact", async () => {
    expect((await runGhlBackfillSlice(t.kysely, { locationId: LOCATION, api: ghlApi(), full: true })).status)
      .toBe("done");
    expect(await live("ghl_data")).toBe(120);

    cases++;
    ghl.contacts.splice(20);
    ghl.failAfter(1, 500, 10);
    await expect(
      runGhlBackfillSlice(t.kysely, { locationId: LOCATION, api: ghlApi(), full: true, pageSize: 10 }),
    )
      .rejects.toThrow(/500/);
    expect(await live("ghl_data")).toBe(120);

    cases++;
    ghl.failAfter(0, 500, 0);
    ghl.contacts.splice(0);
    await sql`delete from sync_checkpoints`.execute(t.kysely);
    await sql`update sync_logs set status = 'FAILED' where status = 'RUNNING'`.execute(t.kysely);
    const empty = await runGhlBackfillSlice(t.kysely, { locationId: LOCATION, api: ghlApi(), full: true });
    expect(empty.status).toBe("done");
    expect(empty.result?.deleted ?? 0).toBe(0);
    expect(await live("ghl_data")).toBe(120);
    expect(await deletedAny()).toBe(0);
  });
});
