import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type GhlApiDouble, makeContacts, startGhlApiDouble } from "../helpers/ghl-api-double.ts";
import { GhlApi } from "../../shared/sources/ghl/ghl-api.ts";
import {
  ghlBackfillCheckpointName,
  type GhlBackfillOptions,
  type GhlBackfillState,
  runGhlBackfillSlice,
} from "../../shared/sources/ghl/backfill.ts";
import { createGhlBackfillApp } from "../../shared/sources/ghl/backfill-app.ts";
import { claimCheckpoint, releaseClaim } from "../../shared/sync/checkpoint-claim.ts";
import { savedCheckpoint } from "../helpers/checkpoint.ts";
import { UpstreamError } from "../../shared/errors.ts";

const LOCATION = "locBackfill01";
const TOKEN = "pit-test-token";
const CRON = "cron-secret-for-tests";
let t: TestDatabase;
let double: GhlApiDouble;

beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, ghl_data, sync_logs, sync_checkpoints cascade`.execute(t.kysely);
  waited = 0;
  double = await startGhlApiDouble({
    token: TOKEN,
    locationId: LOCATION,
    contacts: makeContacts(250, LOCATION),
  });
});
afterEach(async () => {
  await double.close();
});

/**
 * A client for the double: two attempts per request, no jitter, and a virtual clock, so backoff and
 * the rate limiter's pauses take no real time but are still measured (`waited`).
 */
let waited = 0;
function api(): GhlApi {
  const start = Date.now();
  return new GhlApi({
    token: TOKEN,
    baseUrl: double.url,
    maxAttempts: 2,
    random: () => 0,
    now: () => start + waited,
    sleep: async (ms) => void (waited += ms),
  });
}

function backfill(options: Partial<GhlBackfillOptions> = {}) {
  return runGhlBackfillSlice(t.kysely, { locationId: LOCATION, api: api(), ...options });
}

const checkpoint = () => savedCheckpoint<GhlBackfillState>(t.kysely, ghlBackfillCheckpointName(LOCATION));
const live = async () =>
  (await t.kysely.selectFrom("ghl_data").select("external_contact_id").where("deleted_at", "is", null)
    .execute())
    .map((r) => r.external_contact_id).sort();
const logs = () => t.kysely.selectFrom("sync_logs").selectAll().orderBy("started_at").execute();

describe("ghl backfill", () => {
  it("reads every page through a 429 into ghl_data with the whole contact and its location", async () => {
    double.rateLimitOnce(1);
    const lines: string[] = [];
    const slice = await backfill({ log: (line) => lines.push(line) });

    expect(slice.status).toBe("done");
    expect(slice.result).toMatchObject({ status: "SUCCESS", created: 250, deleted: 0, failed: 0 });
    const rows = await t.kysely.selectFrom("ghl_data").selectAll().orderBy("created_at").execute();
    expect(rows).toHaveLength(250);
    const c7 = rows.find((r) => r.external_contact_id === "c7")!;
    expect(c7.raw_data).toEqual(double.contacts[7]);
    expect(c7.location_id).toBe(LOCATION);
    expect(c7.user_id).not.toBeNull();
    // Three pages of 100, plus the one 429 retried; every request as HighLevel requires.
    expect(double.requests.map((r) => r.status)).toEqual([200, 429, 200, 200]);
    expect(double.requests.every((r) => r.version === "2021-07-28" && r.authorization === `Bearer ${TOKEN}`))
      .toBe(true);
    expect(double.requests.map((r) => r.startAfterId)).toEqual([null, "c99", "c99", "c199"]);
    // The 429 said no requests remain, so the limiter held the next one for a whole 10 s window.
    expect(waited).toBeGreaterThanOrEqual(10_000);
    expect(lines.some((l) => l.startsWith("page 3: 250 of 250 contacts read"))).toBe(true);
    expect(await logs()).toMatchObject([{ source: "GHL", scope: LOCATION, status: "SUCCESS", created: 250 }]);
    expect(await checkpoint()).toMatchObject({ runId: null, cursor: null, lastSyncLogId: slice.syncLogId });
  });

  it("resumes after a mid-way failure from the checkpoint's cursor, in the same run", async () => {
    double.failAfter(2, 500, 2);
    const failed = backfill();
    await expect(failed).rejects.toThrow(UpstreamError);
    await expect(failed).rejects.toThrow(
      /answered 500: Internal Server Error after 2 attempts; stopped after page 2 \(200 contacts\)/,
    );
    expect(await live()).toHaveLength(200);
    const saved = await checkpoint();
    expect(saved?.cursor).toEqual({
      startAfterId: "c199",
      startAfter: Date.parse(String(double.contacts[199].dateAdded)),
    });
    expect((await logs())[0].status).toBe("RUNNING");

    const before = double.requests.length;
    const slice = await backfill();
    expect(slice.status).toBe("done");
    expect(slice.resumedFrom).toEqual(saved!.cursor);
    const resumed = double.requests.slice(before);
    expect(resumed.map((r) => [r.startAfterId, r.startAfter])).toEqual([["c199", saved!.cursor!.startAfter]]);
    expect(await live()).toHaveLength(250);
    const runs = await logs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: saved!.runId, status: "SUCCESS", created: 250 });
  });

  it("soft-deletes on --full the contacts HighLevel no longer has", async () => {
    await backfill({ full: true });
    double.contacts.splice(17, 1);
    const slice = await backfill({ full: true });
    expect(slice.result).toMatchObject({ status: "SUCCESS", deleted: 1, created: 0 });
    const gone = await t.kysely.selectFrom("ghl_data").select(["deleted_at"]).where(
      "external_contact_id",
      "=",
      "c17",
    )
      .executeTakeFirstOrThrow();
    expect(gone.deleted_at).not.toBeNull();
    expect(await live()).toHaveLength(249);
  });

  it("deletes nothing when a full run fails mid-way, and deletes once the resumed run completes", async () => {
    await backfill({ full: true });
    double.contacts.splice(17, 1);
    double.failAfter(1, 401);
    await expect(backfill({ full: true })).rejects.toThrow(/answered 401: Invalid JWT; stopped after page 1/);
    expect(await live()).toHaveLength(250);
    expect(await t.kysely.selectFrom("ghl_data").select("id").where("deleted_at", "is not", null).execute())
      .toEqual([]);

    // The resumed run is still the full run (asked or not): it saw pages 1–3 across both calls.
    const slice = await backfill();
    expect(slice).toMatchObject({ status: "done", full: true });
    expect(slice.result).toMatchObject({ status: "SUCCESS", deleted: 1 });
    expect(await live()).not.toContain("c17");
  });

  it("stops at the safety valve unless forced", async () => {
    await backfill({ full: true });
    double.contacts.splice(0, 200);
    const refused = await backfill({ full: true });
    expect(refused.result).toMatchObject({
      status: "PARTIAL",
      deleted: 0,
      deleteRefused: { wouldDelete: 200, live: 250 },
    });
    expect(await live()).toHaveLength(250);
    const forced = await backfill({ full: true, force: true });
    expect(forced.result).toMatchObject({ status: "SUCCESS", deleted: 200 });
    expect(await live()).toHaveLength(50);
  });

  it("deletes nothing on a full run that met a contact it could not read", async () => {
    await backfill({ full: true });
    double.contacts.splice(17, 1);
    double.contacts[30] = { ...double.contacts[30], id: 12345 };
    const lines: string[] = [];
    const slice = await backfill({ full: true, log: (l) => lines.push(l) });
    expect(slice.result).toMatchObject({ status: "PARTIAL", deleted: 0, failed: 1 });
    expect(await live()).toContain("c17");
    const log = await t.kysely.selectFrom("sync_logs").select("error_message")
      .where("id", "=", slice.result!.syncLogId!).executeTakeFirstOrThrow();
    expect(log.error_message).toMatch(/without an id could not be read, so nothing was soft-deleted/);
    expect(lines.some((l) => l.includes("unreadable contact #30"))).toBe(true);
  });

  it("answers busy and writes nothing while another invocation holds the checkpoint", async () => {
    const held = await claimCheckpoint(t.kysely, ghlBackfillCheckpointName(LOCATION), 60);
    const slice = await backfill();
    expect(slice.status).toBe("busy");
    expect(double.requests).toEqual([]);
    expect(await logs()).toEqual([]);
    if (!("heldUntil" in held)) await releaseClaim(t.kysely, held);
    expect((await backfill()).status).toBe("done");
  });
});

describe("ghl-backfill function", () => {
  const app = () =>
    createGhlBackfillApp({
      db: () => t.kysely,
      api,
      locationId: () => LOCATION,
      cronSecret: () => CRON,
      log: () => {},
    });
  const call = (a: ReturnType<typeof app>, body: unknown, secret = CRON) =>
    a.request(
      new Request("http://127.0.0.1/ghl-backfill", {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );

  it("reads the location in bounded slices, each resuming from the checkpoint", async () => {
    const a = app();
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(a, { full: true, max_pages: 1 });
      expect(res.status).toBe(200);
      const json = await res.json();
      answers.push(json.status);
      if (json.status === "done") {
        expect(json).toMatchObject({ result: "SUCCESS", created: 250, deleted: 0 });
        break;
      }
    }
    expect(answers).toEqual(["running", "running", "done"]);
    expect(double.requests.map((r) => r.startAfterId)).toEqual([null, "c99", "c199"]);
    expect(await logs()).toHaveLength(1);
  });

  it("does not start a new run within min_hours_between_runs of the last", async () => {
    const a = app();
    expect(await (await call(a, { full: true })).json()).toMatchObject({ status: "done" });
    const again = await call(a, { full: true, min_hours_between_runs: 20 });
    expect(await again.json()).toMatchObject({ status: "up_to_date", pages: 0 });
    expect(double.requests).toHaveLength(3);
  });

  it("refuses a call without the cron secret, or with a misspelt option", async () => {
    const a = app();
    expect((await call(a, {}, "wrong")).status).toBe(401);
    const typo = await call(a, { ful: true });
    expect(typo.status).toBe(400);
    expect(double.requests).toEqual([]);
  });

  it("answers 502 with the reason when HighLevel fails, keeping the checkpoint", async () => {
    double.failAfter(1, 500, 2);
    const res = await call(app(), { max_pages: 5 });
    expect(res.status).toBe(502);
    expect((await res.json()).reason).toMatch(
      /answered 500: Internal Server Error after 2 attempts; stopped after page 1/,
    );
    expect((await checkpoint())?.cursor).toMatchObject({ startAfterId: "c99" });
  });
});
