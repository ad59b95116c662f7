/**
 * A source stored as a Sheets API range, pulled through the Google double: a service account's
 * signed JWT exchanged for a token (cached), `values.get` with UNFORMATTED_VALUE and serial dates
 * read page by page, exact money from numbers, and the same idempotence as a CSV pull.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type Cell, makeServiceAccount, startGoogleDouble } from "../fixtures/sheets/google-doubles.ts";
import { addSource, liveRows, pull } from "./helpers.ts";
import { serviceAccountAuth } from "../../shared/sources/sheets/google-auth.ts";

const ID = "1SheetsApiDoubleSpreadsheetId0001";
let t: TestDatabase;
let google: Awaited<ReturnType<typeof startGoogleDouble>>;
let account: Awaited<ReturnType<typeof makeServiceAccount>>["account"];

const TAB: Cell[][] = [
  ["Purchase Date", "Full Name", "E-mail", "Order Total", "Currency"],
  [45355, "Ann Lee", "ann@example.com", 1234.56, "USD"],
  [45356.75, "Bob Smith", "bob@example.com", 0.1, "USD"],
  ["", "", "", "", ""],
  [45357, "Carla Gómez", "carla@example.es", 99, "EUR"],
  [45357, "Carla Gómez", "carla@example.es", 99, "EUR"],
  [45358, "Dee Patel", "dee@example.com", "N/A", ""],
];

beforeAll(async () => {
  const sa = await makeServiceAccount();
  account = sa.account;
  [t, google] = await Promise.all([
    openTestDatabase(),
    startGoogleDouble({
      publicKey: sa.publicKey,
      clientEmail: sa.account.client_email,
      tabs: { Sales: TAB },
      gridRows: 50,
    }),
  ]);
});
afterAll(async () => {
  await google?.close();
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, sheet_data, sheet_sources, sync_logs, sync_run_keys, sync_checkpoints cascade`
    .execute(t.kysely);
  google.stats.ranges.length = 0;
  google.stats.query.length = 0;
});
afterEach(() => {
  delete process.env.GOOGLE_SERVICE_ACCOUNT_JSON;
  delete process.env.GOOGLE_SHEETS_API_BASE;
  delete process.env.GOOGLE_TOKEN_URL;
});

const sheetsApi = () => ({
  auth: serviceAccountAuth(account, { tokenUrl: google.tokenUrl }),
  baseUrl: google.baseUrl,
  sleep: () => Promise.resolve(),
});

describe("a Sheets API source", () => {
  it("reads raw values page by page with a service account and stores exact money and dates", async () => {
    const s = await addSource(t.kysely, { name: "api", url: `sheets:${ID}!Sales` });
    const tokensBefore = google.stats.tokenRequests;
    const summary = await pull(t.kysely, "api", { sheetsApi: sheetsApi(), chunkRows: 2 });

    expect(summary).toMatchObject({ status: "PARTIAL", created: 4, failed: 1 });
    expect(summary.rowErrors).toEqual([expect.stringMatching(/^row 7, amount/)]);
    expect(summary.columns).toEqual(
      expect.arrayContaining(["email ← 'E-mail'", "amount ← 'Order Total'", "date ← 'Purchase Date'"]),
    );
    // The header row, then slices of two rows, until the sheet ends.
    expect(google.stats.ranges.slice(0, 3)).toEqual(["'Sales'!1:1", "'Sales'!2:3", "'Sales'!4:5"]);
    expect(
      google.stats.query.every((q) =>
        q.get("valueRenderOption") === "UNFORMATTED_VALUE" &&
        q.get("dateTimeRenderOption") === "SERIAL_NUMBER"
      ),
    ).toBe(true);
    expect(google.stats.tokenRequests - tokensBefore).toBe(1);
    expect(google.stats.rejectedJwt).toEqual([]);

    const rows = await liveRows(t.kysely, "sheet_data", s.url);
    const ann = rows.find((r) => r.email === "ann@example.com")!;
    expect(ann).toMatchObject({ amount: "1234.56", currency: "USD" });
    expect(ann.date!.toISOString()).toBe("2024-03-04T00:00:00.000Z");
    const bob = rows.find((r) => r.email === "bob@example.com")!;
    expect(bob.amount).toBe("0.1");
    expect(bob.date!.toISOString()).toBe("2024-03-05T18:00:00.000Z");
    expect(rows.filter((r) => r.email === "carla@example.es")).toHaveLength(2);

    expect(await pull(t.kysely, "api", { sheetsApi: sheetsApi() })).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 4,
    });
  });

  it("reads its credentials from the environment, and retries a 429", async () => {
    process.env.GOOGLE_SERVICE_ACCOUNT_JSON = JSON.stringify(account);
    process.env.GOOGLE_SHEETS_API_BASE = google.baseUrl;
    process.env.GOOGLE_TOKEN_URL = google.tokenUrl;
    await addSource(t.kysely, { name: "env", url: `sheets:${ID}!Sales!A1:E` });
    google.queue({ status: 429, headers: { "retry-after": "0" } });
    const summary = await pull(t.kysely, "env", { sheetsApi: { sleep: () => Promise.resolve() } });
    expect(summary).toMatchObject({ status: "PARTIAL", created: 4, failed: 1 });
    expect(google.stats.ranges[0]).toBe(google.stats.ranges[1]); // the 429'd request, asked again
  });

  it("fails the run with Google's reason when the sheet is not shared with the service account", async () => {
    await addSource(t.kysely, { name: "denied", url: `sheets:${ID}!Sales` });
    google.queue({
      status: 403,
      body: { error: { code: 403, message: "The caller does not have permission" } },
    });
    const summary = await pull(t.kysely, "denied", { sheetsApi: sheetsApi() });
    expect(summary).toMatchObject({ status: "FAILED" });
    expect(summary.error).toMatch(
      /Google refused the service account .* \(403\): The caller does not have permission/,
    );
  });
});
