/**
 * `--remote URL` on sheets:pull, whop:backfill and ghl:backfill: the CLI invokes the functions
 * served by `npm start` (the Edge profile) through supabase-js, as it would a deployed project at
 * https://<ref>.supabase.co, calling again while the answer says more remains.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { startWhopApiDouble, type WhopApiDouble, whopMembershipObject, whopPaymentObject } from "../helpers/whop-api-double.ts";
import { type GhlApiDouble, makeContacts, startGhlApiDouble } from "../helpers/ghl-api-double.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";

const require = createRequire(import.meta.url);
const CRON_SECRET = "cron-secret-for-remote-calls";
const WHOP_API_KEY = "whop-key-for-remote-calls";
const LOCATION = "locRemote01";
const GHL_TOKEN = "pit-remote-token";
let t: TestDatabase;
let server: DenoServer;
let whop: WhopApiDouble;
let ghl: GhlApiDouble;
let csv: CsvServer;
let project: string;

beforeAll(async () => {
  [t, whop, ghl, csv] = await Promise.all([
    openTestDatabase(),
    startWhopApiDouble({ apiKey: WHOP_API_KEY }),
    startGhlApiDouble({ token: GHL_TOKEN, locationId: LOCATION, contacts: makeContacts(30, LOCATION) }),
    startCsvServer(),
  ]);
  server = await startDenoServer({
    DATABASE_URL: t.url,
    CRON_SECRET,
    WHOP_API_KEY,
    WHOP_API_BASE: whop.base,
    WHOP_BACKFILL_PAGE_SIZE: "2",
    WHOP_BACKFILL_SLICE_PAGES: "1",
    GHL_API_TOKEN: GHL_TOKEN,
    GHL_LOCATION_ID: LOCATION,
    GHL_API_BASE: ghl.url,
    SHEETS_PULL_CHUNK_ROWS: "20",
    SHEETS_PULL_BUDGET_MS: "1",
  }, 60_000);
  project = server.base.replace(/\/functions\/v1$/, "");
}, 90_000);
afterAll(async () => {
  await server?.stop();
  await Promise.all([whop?.stop(), ghl?.close(), csv?.close()]);
  await t?.close();
});

/** The CLI with no database at all: only the project URL, its API key and the cron secret. */
function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const { DATABASE_URL: _db, SUPABASE_DB_URL: _sdb, ...rest } = process.env;
    execFile(
      process.execPath,
      [require.resolve("deno/bin.cjs"), "run", "-A", "shared/cli/main.ts", ...args],
      {
        env: { ...rest, DENO_NO_UPDATE_CHECK: "1", SUPABASE_ANON_KEY: "local-anon-key", CRON_SECRET, ...env },
        timeout: 60_000,
      },
      (error, out, err) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err }),
    );
  });
}

describe("the CLI's --remote commands", () => {
  it("whop:backfill --remote calls whop-backfill slice after slice until it is done", async () => {
    whop.objects.payments = [1, 2, 3, 4, 5].map((i) => whopPaymentObject(i));
    whop.objects.memberships = [whopMembershipObject(1)];
    const run = await cli({}, "whop:backfill", "--remote", project, "--full");
    expect(run, run.err).toMatchObject({ code: 0, err: "" });
    const calls = run.out.trim().split("\n");
    // One page of two per call: three pages of payments, then one of memberships.
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls[0]).toMatch(/^whop-backfill call 1: payments: 1 pages, 2 records$/);
    expect(calls.at(-1)).toMatch(/memberships .*; done$/);
    const rows = await t.kysely.selectFrom("whop_data").select("external_whop_id").execute();
    expect(rows).toHaveLength(6);
  });

  it("sheets:pull --remote --source resumes the pull until the sheet is read", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ["2024-03-04", `Buyer ${i}`, `buyer${i}@example.com`, "$5"]);
    csv.set("remote", { kind: "csv", csv: toCsv([["Date", "Name", "Email", "Amount"], ...rows]) });
    await t.kysely.insertInto("sheet_sources").values({ name: "remote-sales", url: csv.exportUrl("remote") })
      .execute();
    const run = await cli({}, "sheets:pull", "--remote", project, "--source", "remote-sales");
    expect(run, run.err).toMatchObject({ code: 0, err: "" });
    expect(run.out).toMatch(/^sheets-pull call 1: remote-sales RUNNING \(resumes\)/m);
    expect(run.out.trim().split("\n").at(-1)).toMatch(/remote-sales SUCCESS: \d+ rows/);
    const stored = await t.kysely.selectFrom("sheet_data").select("id").where("deleted_at", "is", null).execute();
    expect(stored).toHaveLength(120);
  });

  it("ghl:backfill --remote reads every contact through ghl-backfill", async () => {
    const run = await cli({}, "ghl:backfill", "--remote", project);
    expect(run, run.err).toMatchObject({ code: 0, err: "" });
    expect(run.out).toMatch(/^ghl-backfill call \d+: done: \d+ pages, 30 contacts; SUCCESS/m);
    const contacts = await t.kysely.selectFrom("ghl_data").select("id").execute();
    expect(contacts).toHaveLength(30);
  });

  it("fails in one line when the function refuses the secret or the key is missing", async () => {
    const refused = await cli({ CRON_SECRET: "wrong" }, "whop:backfill", "--remote", project);
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toMatch(/^whop:backfill: whop-backfill \(call 1\): 401 [^\n]+$/);
    const noKey = await cli({ SUPABASE_ANON_KEY: "" }, "ghl:backfill", "--remote", project);
    expect(noKey.code).toBe(1);
    expect(noKey.err.trim()).toBe(
      "ghl:backfill: --remote needs the project's API key in SUPABASE_ANON_KEY or SUPABASE_SERVICE_ROLE_KEY",
    );
    const local = await cli({}, "replay", "--remote", project);
    expect(local).toMatchObject({ code: 2, err: "replay: has no --remote form; it runs on a database only\n" });
  });
});
