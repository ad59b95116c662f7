/**
 * The `sheets-pull` function's app, in process: the cron bearer secret, `{}` pulling exactly the
 * sources that are due by their schedules, `{"source": name}` pulling one now (404 when unknown),
 * and a sliced pull answered done: false and resumed by the next call.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { addSource, FAST_CSV, KINDS, liveRows } from "./helpers.ts";
import { createSheetsPullApp, type SheetsPullAppOptions } from "../../shared/sources/sheets/pull-app.ts";

const SECRET = "cron-secret-for-sheet-pulls";
let t: TestDatabase;
let csv: CsvServer;
const HEADER = ["Date", "Name", "Email", "Amount"];
const sheet = (n: number) =>
  toCsv([
    HEADER,
    ...Array.from({ length: n }, (_, i) => [`3/${i + 1}/2024`, `P${i}`, `p${i}@example.com`, `${i + 1}.00`]),
  ]);

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

function call(
  body: unknown,
  options: { auth?: string | null; pull?: SheetsPullAppOptions["pull"]; method?: string } = {},
) {
  const app = createSheetsPullApp({
    db: () => t.kysely,
    secret: () => SECRET,
    kinds: KINDS,
    pull: { csv: FAST_CSV, ...options.pull },
  });
  const headers: Record<string, string> = { "content-type": "application/json" };
  const auth = options.auth === undefined ? `Bearer ${SECRET}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  const method = options.method ?? "POST";
  return app.request(
    new Request("http://local/sheets-pull", {
      method,
      headers,
      body: method === "POST" ? (typeof body === "string" ? body : JSON.stringify(body)) : undefined,
    }),
  );
}

async function source(
  name: string,
  schedule: string,
  lastPulledAt: string | null,
  options: { enabled?: boolean } = {},
) {
  csv.set(name, { kind: "csv", csv: sheet(3) });
  const s = await addSource(t.kysely, { name, url: csv.exportUrl(name), schedule, enabled: options.enabled });
  if (lastPulledAt) {
    await t.kysely.updateTable("sheet_sources").set({ last_pulled_at: new Date(lastPulledAt) }).where(
      "id",
      "=",
      s.id,
    )
      .execute();
  }
  return s;
}

describe("sheets-pull", () => {
  it("answers 401 without the cron secret, or with a wrong one, and pulls nothing (405 to a GET)", async () => {
    await source("any", "* * * * *", null);
    for (const auth of [null, "Bearer wrong", SECRET]) {
      const res = await call({}, { auth });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "unauthorized" });
    }
    expect(await t.kysely.selectFrom("sync_logs").select("id").execute()).toEqual([]);
    expect((await call({}, { method: "GET" })).status).toBe(405);
  });

  it("pulls with {} exactly the enabled sources whose schedule fired since their last pull", async () => {
    const now = Date.parse("2024-03-04T11:05:00Z");
    await source("hourly-due", "0 * * * *", "2024-03-04T10:30:00Z");
    await source("daily-not-due", "0 0 * * *", "2024-03-04T09:00:00Z");
    await source("never-pulled", "0 0 1 1 *", null);
    await source("disabled", "* * * * *", null, { enabled: false });

    const res = await call({}, { pull: { now: () => now } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.sources.map((s: { source: string; status: string }) => [s.source, s.status])).toEqual([
      ["hourly-due", "SUCCESS"],
      ["never-pulled", "SUCCESS"],
    ]);
    expect(body.sources[0]).toMatchObject({
      created: 3,
      updated: 0,
      unchanged: 0,
      deleted: 0,
      failed: 0,
      done: true,
      resumes: false,
      sync_log_id: expect.any(String),
      columns: expect.arrayContaining(["email ← 'Email'"]),
    });
    const pulled = await t.kysely.selectFrom("sheet_sources").select(["name", "last_pulled_at"]).orderBy(
      "name",
    ).execute();
    expect(pulled.find((p) => p.name === "hourly-due")!.last_pulled_at!.getTime()).toBe(now);

    // Ten minutes later nothing has fired since: nothing is pulled.
    const later = await (await call({}, { pull: { now: () => now + 600_000 } })).json();
    expect(later.sources).toEqual([]);
    // At noon the hourly one is due again.
    const noon = await (await call({}, { pull: { now: () => Date.parse("2024-03-04T12:00:30Z") } })).json();
    expect(noon.sources.map((s: { source: string }) => s.source)).toEqual(["hourly-due"]);
  });

  it("waits for the next schedule after a failed pull instead of retrying every tick", async () => {
    const now = Date.parse("2024-03-04T11:05:00Z");
    await source("flaky", "0 * * * *", null);
    csv.set("flaky", { kind: "status", status: 404 });
    const first = await (await call({}, { pull: { now: () => now } })).json();
    expect(first.sources).toMatchObject([{
      source: "flaky",
      status: "FAILED",
      error: expect.stringMatching(/404/),
    }]);
    csv.set("flaky", { kind: "csv", csv: sheet(2) });
    expect((await (await call({}, { pull: { now: () => now + 60_000 } })).json()).sources).toEqual([]);
    const next = await (await call({}, { pull: { now: () => Date.parse("2024-03-04T12:00:00Z") } })).json();
    expect(next.sources).toMatchObject([{ source: "flaky", status: "SUCCESS", created: 2 }]);
  });

  it("pulls a named source now whatever its schedule, and answers 404 for an unknown one", async () => {
    const s = await source("named", "0 0 1 1 *", "2024-03-04T09:00:00Z");
    const res = await call({ source: "named" });
    expect(res.status).toBe(200);
    expect((await res.json()).sources).toMatchObject([{ source: "named", status: "SUCCESS", created: 3 }]);
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(3);

    const missing = await call({ source: "nope" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: "not found",
      reason: expect.stringMatching(/no sheet source named 'nope'/),
    });
    expect((await call("{not json")).status).toBe(400);
    expect((await call({ source: 42 })).status).toBe(400);
  });

  it("answers done: false for a sliced pull, resumes it with the next {}, and defers what the budget cannot reach", async () => {
    const now = Date.parse("2024-03-04T11:05:00Z");
    const big = await source("big", "0 * * * *", null);
    csv.set("big", { kind: "csv", csv: sheet(5) });
    await source("small", "0 * * * *", null);
    csv.set("small", { kind: "csv", csv: sheet(2) });
    const pull = { now: () => now, budgetMs: 0, chunkRows: 2 };

    const first = await (await call({}, { pull })).json();
    expect(first.sources).toMatchObject([
      { source: "big", status: "RUNNING", done: false, resumes: true, rows: 2, created: 2 },
      { source: "small", status: "DEFERRED", done: false, resumes: true, sync_log_id: null },
    ]);
    const statuses: string[] = [];
    for (let i = 0; i < 10 && statuses.at(-1) !== "SUCCESS"; i++) {
      const body = await (await call({}, { pull })).json();
      statuses.push(body.sources[0].status);
      expect(body.sources[0].source).toBe("big");
    }
    expect(statuses).toEqual(["RUNNING", "SUCCESS"]);
    expect(await liveRows(t.kysely, "sheet_data", big.url)).toHaveLength(5);
    // The deferred source is still due, and is pulled now that nothing is ahead of it.
    expect((await (await call({}, { pull })).json()).sources).toMatchObject([{
      source: "small",
      status: "SUCCESS",
    }]);
  });
});
