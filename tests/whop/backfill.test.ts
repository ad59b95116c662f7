/**
 * The Whop REST backfill against a local double of Whop's API, on the database: pages, checkpoint,
 * one run per resource, soft deletes only after a complete full read, resume after a failure.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import {
  startWhopApiDouble,
  type WhopApiDouble,
  whopMembershipObject,
  whopPaymentObject,
} from "../helpers/whop-api-double.ts";
import { WHOP_API_VERSION_DATE, WhopApi } from "../../shared/sources/whop/whop-api.ts";
import {
  runWhopBackfill,
  WHOP_BACKFILL_CHECKPOINT,
  type WhopBackfillEvent,
  type WhopBackfillOptions,
  type WhopBackfillState,
} from "../../shared/sources/whop/backfill.ts";
import { savedCheckpoint } from "../helpers/checkpoint.ts";
import { claimCheckpoint, releaseClaim } from "../../shared/sync/checkpoint-claim.ts";
import { UpstreamError } from "../../shared/errors.ts";
import { createWhopBackfillApp } from "../../shared/sources/whop/backfill-app.ts";
import { execFile } from "node:child_process";
import { createDb } from "../../shared/db/client.ts";

const API_KEY = "whop_test_key_backfill";
let t: TestDatabase;
let whop: WhopApiDouble;
let sleeps: number[];

beforeAll(async () => {
  [t, whop] = await Promise.all([openTestDatabase(), startWhopApiDouble({ apiKey: API_KEY })]);
});
afterAll(async () => {
  await whop?.stop();
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data, sync_logs, sync_run_keys, sync_checkpoints cascade`.execute(t.kysely);
  whop.objects.payments = Array.from({ length: 7 }, (_, i) => whopPaymentObject(i + 1));
  whop.objects.memberships = Array.from({ length: 4 }, (_, i) => whopMembershipObject(i + 1));
  whop.requests.length = 0;
  whop.stopFailing();
  sleeps = [];
});

function api(): WhopApi {
  return new WhopApi({
    apiKey: API_KEY,
    baseUrl: whop.base,
    companyId: "biz_test",
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0,
    maxAttempts: 3,
  });
}

const backfill = (options: WhopBackfillOptions = {}) =>
  runWhopBackfill(t.kysely, api(), { pageSize: 3, ...options });

const live = async () =>
  (await t.kysely.selectFrom("whop_data").select("external_whop_id").where("deleted_at", "is", null)
    .orderBy("external_whop_id").execute()).map((r) => r.external_whop_id);
const deleted = async () =>
  (await t.kysely.selectFrom("whop_data").select("external_whop_id").where("deleted_at", "is not", null)
    .execute()).map((r) => r.external_whop_id);
const checkpoint = () => savedCheckpoint<WhopBackfillState>(t.kysely, WHOP_BACKFILL_CHECKPOINT);
const logs = () => t.kysely.selectFrom("sync_logs").selectAll().orderBy("started_at").execute();

describe("whop backfill", () => {
  it("reads every page of payments and memberships into whop_data, one logged run per resource", async () => {
    const events: WhopBackfillEvent[] = [];
    const result = await backfill({ full: true, onProgress: (e) => events.push(e) });

    expect(result).toMatchObject({ done: true, pages: 5, records: 11 });
    expect(result.finished.map((r) => [r.resource, r.status, r.pages, r.created])).toEqual([
      ["payments", "SUCCESS", 3, 7],
      ["memberships", "SUCCESS", 2, 4],
    ]);
    expect(await live()).toHaveLength(11);
    const row = await t.kysely.selectFrom("whop_data").selectAll().where(
      "external_whop_id",
      "=",
      "pay_backfill_2",
    )
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      kind: "payment",
      amount: "12",
      currency: "USD",
      amount_usd: "12",
      is_revenue: true,
    });
    expect(row.raw_data).toEqual(whop.objects.payments[1]);
    expect(row.user_id).not.toBeNull();
    const runs = await logs();
    expect(runs.map((l) => [l.scope, l.status, l.records_processed])).toEqual([
      ["payment", "SUCCESS", 7],
      ["membership", "SUCCESS", 4],
    ]);
    expect(await checkpoint()).toBeNull();
    // Every request pinned the version, carried the key and the company, and followed the cursors.
    expect(
      whop.requests.every((r) =>
        r.authorization === `Bearer ${API_KEY}` && r.apiVersionDate === WHOP_API_VERSION_DATE &&
        r.companyId === "biz_test" && r.first === 3
      ),
    ).toBe(true);
    expect(whop.requests.map((r) => `${r.resource}:${r.page}`)).toEqual([
      "payments:1",
      "payments:2",
      "payments:3",
      "memberships:1",
      "memberships:2",
    ]);
    expect(events.filter((e) => e.type === "page").map((e) => e.type === "page" && e.state.records))
      .toEqual([3, 6, 7, 3, 4]);
  });

  it("changes nothing when run again over the same data", async () => {
    await backfill({ full: true });
    const before = await t.kysely.selectFrom("whop_data").select(["external_whop_id", "updated_at"])
      .execute();
    const again = await backfill({ full: true });
    expect(again.finished.map((r) => [r.created, r.updated, r.unchanged, r.deleted])).toEqual([
      [0, 0, 7, 0],
      [0, 0, 4, 0],
    ]);
    const after = await t.kysely.selectFrom("whop_data").select(["external_whop_id", "updated_at"]).execute();
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after).toHaveLength(before.length);
  });

  it("soft-deletes what Whop no longer returns on a full backfill only", async () => {
    await backfill({ full: true });
    whop.objects.payments.splice(3, 1); // pay_backfill_4 is gone upstream
    await backfill();
    expect(await deleted()).toEqual([]);
    const full = await backfill({ full: true });
    expect(full.finished[0]).toMatchObject({ resource: "payments", deleted: 1, status: "SUCCESS" });
    expect(await deleted()).toEqual(["pay_backfill_4"]);
  });

  it("refuses to soft-delete most of a scope unless forced", async () => {
    await backfill({ full: true });
    whop.objects.payments = whop.objects.payments.slice(0, 2);
    const refused = await backfill({ full: true });
    expect(refused.finished[0]).toMatchObject({
      status: "PARTIAL",
      deleted: 0,
      deleteRefused: { wouldDelete: 5, live: 7 },
    });
    expect(await deleted()).toEqual([]);
    const forced = await backfill({ full: true, force: true });
    expect(forced.finished[0]).toMatchObject({ status: "SUCCESS", deleted: 5 });
    expect(await deleted()).toHaveLength(5);
  });

  it("waits the second a 429 asks for and goes on", async () => {
    whop.rateLimitOnce();
    const result = await backfill();
    expect(result.done).toBe(true);
    expect(sleeps).toEqual([1000]);
    expect(whop.requests.map((r) => r.status)).toEqual([429, 200, 200, 200, 200, 200]);
    expect(await live()).toHaveLength(11);
  });

  it("stops on a page that keeps failing, deletes nothing, and resumes at that page in the same run", async () => {
    await backfill({ full: true });
    whop.objects.payments.splice(0, 1); // pay_backfill_1 is gone: a complete full read would delete it
    whop.requests.length = 0;
    whop.failFrom("payments", 2);

    const failure = await backfill({ full: true }).catch((e) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure.message).toMatch(/GET \/payments answered 500.*gave up after 3 attempts/);
    expect(await deleted()).toEqual([]);
    const saved = (await checkpoint())!;
    expect(saved).toMatchObject({ resource: "payments", pages: 1, records: 3, full: true });
    const [run] = (await logs()).filter((l) => l.status === "RUNNING");
    expect(run).toMatchObject({ id: saved.runId, scope: "payment", records_processed: 3 });
    const failedCursor = whop.requests.at(-1)!.after;
    expect(failedCursor).toBe(saved.after);

    whop.stopFailing();
    whop.requests.length = 0;
    const resumed = await backfill({ full: true });
    expect(whop.requests[0]).toMatchObject({ resource: "payments", after: saved.after, page: 2 });
    expect(whop.requests.filter((r) => r.resource === "payments" && r.after === null)).toHaveLength(0);
    expect(resumed.finished[0]).toMatchObject({
      resource: "payments",
      syncLogId: saved.runId,
      deleted: 1,
      pages: 2,
    });
    const closed = await t.kysely.selectFrom("sync_logs").selectAll().where("id", "=", saved.runId!)
      .executeTakeFirstOrThrow();
    expect(closed).toMatchObject({ status: "SUCCESS", records_processed: 6, deleted: 1 });
    expect(await deleted()).toEqual(["pay_backfill_1"]);
  });

  it("reads the resource again from the first page when its interrupted full run was closed as abandoned", async () => {
    whop.failFrom("payments", 2);
    await expect(backfill({ full: true })).rejects.toThrow(UpstreamError);
    const saved = (await checkpoint())!;
    // What failAbandonedRuns does to a run whose lease ran out.
    await t.kysely.updateTable("sync_logs").set({ status: "FAILED" }).where("id", "=", saved.runId!)
      .execute();
    whop.stopFailing();
    whop.requests.length = 0;
    const events: WhopBackfillEvent[] = [];
    const result = await backfill({ full: true, onProgress: (e) => events.push(e) });
    expect(whop.requests[0]).toMatchObject({ resource: "payments", after: null });
    expect(result.finished[0].syncLogId).not.toBe(saved.runId);
    expect(result.finished[0]).toMatchObject({ pages: 3, records: 7, status: "SUCCESS" });
    expect(events[0]).toMatchObject({
      type: "start",
      resumed: false,
      note: expect.stringContaining("first page"),
    });
  });

  it("lets a full backfill supersede an unfinished incremental one", async () => {
    whop.failFrom("payments", 2);
    await expect(backfill()).rejects.toThrow(UpstreamError);
    const incremental = (await checkpoint())!;
    whop.stopFailing();
    whop.requests.length = 0;
    const result = await backfill({ full: true });
    expect(whop.requests[0]).toMatchObject({ resource: "payments", after: null });
    const old = await t.kysely.selectFrom("sync_logs").selectAll().where("id", "=", incremental.runId!)
      .executeTakeFirstOrThrow();
    expect(old).toMatchObject({ status: "FAILED", error_message: "superseded by a full backfill" });
    expect(result.finished.every((r) => r.status === "SUCCESS")).toBe(true);
  });

  it("counts an object the mapper refuses as failed and keeps its row on a full backfill", async () => {
    await backfill({ full: true });
    whop.objects.payments[2] = {
      ...whop.objects.payments[2],
      total: "not money",
      updated_at: "2027-01-01T00:00:00Z",
    };
    const result = await backfill({ full: true });
    expect(result.finished[0]).toMatchObject({ status: "PARTIAL", failed: 1, deleted: 0 });
    const log = await t.kysely.selectFrom("sync_logs").selectAll().where(
      "id",
      "=",
      result.finished[0].syncLogId,
    )
      .executeTakeFirstOrThrow();
    expect(log.error_message).toMatch(/1 record\(s\) failed; first: invalid payment data: total/);
    expect(await deleted()).toEqual([]);
    const row = await t.kysely.selectFrom("whop_data").select("amount").where(
      "external_whop_id",
      "=",
      "pay_backfill_3",
    )
      .executeTakeFirstOrThrow();
    expect(row.amount).toBe("13"); // the last good version stays
  });

  it("lets one of two overlapping backfills advance the cursor, one run per resource, soft-deleting once", async () => {
    await backfill({ full: true });
    whop.objects.payments.splice(1, 1); // pay_backfill_2 is gone upstream
    await sql`truncate sync_logs cascade`.execute(t.kysely);
    whop.requests.length = 0;
    const both = await Promise.all([backfill({ full: true }), backfill({ full: true })]);
    // The other stood back (busy) without reading a page: the claim is held for the whole call.
    const [done, busy] = both[0].busy ? [both[1], both[0]] : both;
    expect(done).toMatchObject({ done: true, pages: 4 });
    expect(busy).toMatchObject({ done: false, busy: true, pages: 0, finished: [] });
    const runs = await logs();
    expect(runs.map((l) => [l.scope, l.status, l.deleted])).toEqual([
      ["payment", "SUCCESS", 1],
      ["membership", "SUCCESS", 0],
    ]);
    expect(whop.requests).toHaveLength(4);
    expect(await deleted()).toEqual(["pay_backfill_2"]);
    expect(await checkpoint()).toBeNull();
    // Once it is done, the next call starts a backfill of its own.
    expect(await backfill()).toMatchObject({ done: true, pages: 4 });
  });

  it("stops a slice after its page budget and continues from the checkpoint on the next call", async () => {
    const first = await backfill({ maxPages: 2 });
    expect(first).toMatchObject({ done: false, resource: "payments", pages: 2, records: 6 });
    expect(await checkpoint()).toMatchObject({ resource: "payments", pages: 2, runId: first.syncLogId });
    const second = await backfill({ maxPages: 2 });
    expect(second).toMatchObject({ done: false, resource: "memberships", pages: 2 });
    expect(second.finished.map((r) => [r.resource, r.syncLogId])).toEqual([["payments", first.syncLogId]]);
    const third = await backfill({ maxPages: 2 });
    expect(third).toMatchObject({ done: true, resource: "memberships", pages: 1 });
    expect(whop.requests.map((r) => `${r.resource}:${r.page}`)).toEqual([
      "payments:1",
      "payments:2",
      "payments:3",
      "memberships:1",
      "memberships:2",
    ]);
  });
});

describe("whop-backfill function", () => {
  const CRON = "cron-secret-for-tests";
  const app = createWhopBackfillApp({
    db: () => t.kysely,
    api,
    secret: () => CRON,
    maxPages: 2,
    pageSize: 3,
  });
  const call = (body: unknown = {}, authorization: string | null = `Bearer ${CRON}`) =>
    app.request(
      new Request("http://local/whop-backfill", {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );

  it("refuses a call without the cron bearer secret and reads nothing", async () => {
    for (const authorization of [null, "Bearer wrong", `Basic ${CRON}`, `Bearer ${CRON}x`]) {
      const res = await call({}, authorization);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "unauthorized" });
    }
    expect(whop.requests).toHaveLength(0);
    expect(await checkpoint()).toBeNull();
  });

  it("works in bounded slices that resume from the checkpoint until done, soft-deleting on a full run", async () => {
    await backfill({ full: true });
    whop.objects.payments.splice(6, 1, whopPaymentObject(8)); // pay_backfill_7 is gone, 8 is new
    whop.requests.length = 0;
    const answers = [];
    for (let i = 0; i < 10; i++) {
      const res = await call({ full: true });
      expect(res.status).toBe(200);
      const body = await res.json();
      answers.push(body);
      if (body.done) break;
    }
    expect(answers.map((a) => [a.done, a.resource, a.pages, a.records])).toEqual([
      [false, "payments", 2, 6],
      [false, "memberships", 2, 4],
      [true, "memberships", 1, 1],
    ]);
    expect(answers[1].finished).toEqual([
      expect.objectContaining({ resource: "payments", deleted: 1, status: "SUCCESS" }),
    ]);
    expect(answers[1].finished[0].sync_log_id).toBe(answers[0].sync_log_id);
    expect(answers[2].sync_log_id).toBe(answers[1].sync_log_id);
    // No page was read twice: each slice started where the last one stopped.
    expect(whop.requests.map((r) => `${r.resource}:${r.page}`)).toEqual([
      "payments:1",
      "payments:2",
      "payments:3",
      "memberships:1",
      "memberships:2",
    ]);
    expect(await deleted()).toEqual(["pay_backfill_7"]);
    expect(await checkpoint()).toBeNull();
  });

  it("answers 502 when Whop keeps failing and keeps the checkpoint for the next call", async () => {
    whop.failFrom("payments", 2);
    const failing = await call({});
    expect(failing.status).toBe(502);
    expect(await failing.json()).toMatchObject({
      error: "upstream",
      reason: expect.stringMatching(/resumes at that page$/),
    });
    expect(await checkpoint()).toMatchObject({ resource: "payments", pages: 1 });
    whop.stopFailing();
    whop.requests.length = 0;
    const resumed = await call({});
    expect(await resumed.json()).toMatchObject({ done: false, resource: "payments", pages: 2, records: 4 });
    expect(whop.requests[0]).toMatchObject({ resource: "payments", page: 2 });
  });

  it("answers 500 naming WHOP_API_KEY when it is unset, and 503 when the database is down", async () => {
    const saved = process.env.WHOP_API_KEY;
    delete process.env.WHOP_API_KEY;
    try {
      const unconfigured = createWhopBackfillApp({ db: () => t.kysely, secret: () => CRON });
      const res = await unconfigured.request(
        new Request("http://local/whop-backfill", {
          method: "POST",
          headers: { authorization: `Bearer ${CRON}` },
        }),
      );
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ reason: "WHOP_API_KEY is not set" });
    } finally {
      if (saved !== undefined) process.env.WHOP_API_KEY = saved;
    }
    const down = createDb("postgres://postgres@127.0.0.1:1/x", { connectTimeout: 2 });
    try {
      const offline = createWhopBackfillApp({ db: () => down.kysely, api, secret: () => CRON });
      const res = await offline.request(
        new Request("http://local/whop-backfill", {
          method: "POST",
          headers: { authorization: `Bearer ${CRON}` },
        }),
      );
      expect(res.status).toBe(503);
    } finally {
      await down.close();
    }
    expect(whop.requests).toHaveLength(0);
  });

  it("answers busy and reads nothing while another call holds the checkpoint", async () => {
    const held = await claimCheckpoint(t.kysely, WHOP_BACKFILL_CHECKPOINT, 60);
    const res = await call({});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ done: false, busy: true, pages: 0, sync_log_id: null });
    expect(whop.requests).toHaveLength(0);
    expect(await logs()).toEqual([]);
    if (!("heldUntil" in held)) await releaseClaim(t.kysely, held);
    expect(await (await call({})).json()).toMatchObject({ done: false, pages: 2 });
  });

  it('answers 400 to a body that is not {"full": bool}', async () => {
    for (const body of ["not json", "[]", JSON.stringify({ full: "yes" })]) {
      const res = await call(body);
      expect(res.status).toBe(400);
    }
    expect(whop.requests).toHaveLength(0);
  });
});

describe("npm run cli -- whop:backfill", () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [
        "scripts/deno.mjs",
        "run",
        "-A",
        "shared/cli/main.ts",
        "whop:backfill",
        ...args,
      ], {
        env: { ...process.env, DATABASE_URL: t.url, WHOP_API_KEY: API_KEY, WHOP_API_BASE: whop.base, ...env },
      }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });

  it("prints progress per page and a summary per resource, and exits 0", async () => {
    const { code, stdout } = await cli(["--full", "--page-size", "4"]);
    expect(code).toBe(0);
    expect(stdout).toContain("payments: full backfill from the first page");
    expect(stdout).toContain("payments: page 2, 7 records so far");
    expect(stdout).toMatch(/payments: SUCCESS after 2 pages, 7 records: 7 created/);
    expect(stdout).toMatch(/memberships: SUCCESS after 1 page, 4 records: 4 created/);
    expect(await live()).toHaveLength(11);
  }, 60_000);

  it("exits 1 with one line when a page fails, and resumes there on the next run", async () => {
    // A 400 is not retried, so the CLI (with its production retry delays) fails at once.
    whop.failFrom("payments", 2, 400);
    const failed = await cli(["--page-size", "4"]);
    expect(failed.code).toBe(1);
    const lines = failed.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^whop:backfill: GET \/payments answered 400.*stopped at payments page 2, nothing was soft-deleted/,
    );
    whop.stopFailing();
    whop.requests.length = 0;
    const resumed = await cli(["--page-size", "4"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(
      "payments: resuming the incremental backfill at page 2 (4 records so far)",
    );
    expect(whop.requests[0]).toMatchObject({ resource: "payments", page: 2 });
  }, 60_000);
});
