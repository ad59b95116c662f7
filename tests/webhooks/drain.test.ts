/**
 * Processing after the answer: stored deliveries drained in batches, across sources, each told
 * apart in its outcome; concurrent drains that never process one delivery twice; claims that lapse
 * with the process that made them; and the `webhook-drain` function that pg_cron calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { storeDelivery } from "../../shared/webhooks/inbox.ts";
import { readDelivery } from "../../shared/webhooks/delivery.ts";
import { drainEvents } from "../../shared/webhooks/drain.ts";
import { createDrainApp } from "../../shared/webhooks/drain-app.ts";
import { whopWebhookSource } from "../../shared/sources/whop/webhook-source.ts";
import { ghlWebhookSource } from "../../shared/sources/ghl/webhook-source.ts";
import { createDb } from "../../shared/db/client.ts";

let t: TestDatabase;
const whop = whopWebhookSource({ secret: () => "ws_unused" });
const ghl = ghlWebhookSource();
const CRON = "cron-secret-for-the-drain-test";

beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data, ghl_data, webhook_events cascade`.execute(t.kysely);
});

// deno-lint-ignore no-explicit-any -- fixtures are edited freely in tests
type Json = Record<string, any>;
const fixture = (path: string): Json => JSON.parse(readFileSync(`tests/fixtures/${path}.json`, "utf8"));
const pause = () => new Promise((r) => setTimeout(r, 5));

/** Stores a delivery as the request path does, without processing it. */
async function store(source: "WHOP" | "GHL", eventId: string, body: Json) {
  await storeDelivery(t.kysely, {
    source,
    eventId,
    eventType: String(body.type ?? ""),
    body: readDelivery(new TextEncoder().encode(JSON.stringify(body))),
  });
}
const events = () =>
  t.kysely.selectFrom("webhook_events").select(["event_id", "status", "error", "attempts", "claimed_until"])
    .orderBy("id").execute();
const payment = (id: string, n: number, data: Json = {}) => {
  const base = fixture("whop/payment.succeeded");
  return {
    ...base,
    id,
    data: { ...base.data, updated_at: new Date(Date.UTC(2026, 6, 1, 0, 0, n)).toISOString(), ...data },
  };
};

describe("draining stored deliveries", () => {
  it("writes a batch of versions received in any order as the newest, whoever arrived last", async () => {
    // Newest first, oldest last: one batch holds all three versions of the payment.
    await store("WHOP", "msg_v3", payment("msg_v3", 3, { refunded_amount: 49, substatus: "refunded" }));
    await store(
      "WHOP",
      "msg_v1",
      payment("msg_v1", 1, { status: "open", substatus: "pending", paid_at: null }),
    );
    await store("WHOP", "msg_v2", payment("msg_v2", 2));
    // No change time at all (the legacy envelope): the delivery received last wins.
    const legacy = (status: string) => ({
      ...fixture("whop/legacy-v5.payment.succeeded"),
      data: { ...fixture("whop/legacy-v5.payment.succeeded").data, status },
    });
    await store("WHOP", "v5_first", legacy("open"));
    await pause();
    await store("WHOP", "v5_second", legacy("paid"));
    const tally = await drainEvents(t.kysely, [whop]);
    expect(tally).toMatchObject({ processed: 5, failed: 0, pending: 0, batches: 1 });
    const row = await t.kysely.selectFrom("whop_data").selectAll().where(
      "external_whop_id",
      "=",
      "pay_Fh3KzQ8pLw2Vn1",
    )
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ refunded_amount: "49" });
    expect(row.raw_data).toMatchObject({ substatus: "refunded" });
    const v5 = await t.kysely.selectFrom("whop_data").selectAll().where(
      "external_whop_id",
      "=",
      "pay_Rt6Yu1Io5Pa9Sd",
    )
      .executeTakeFirstOrThrow();
    expect(v5.raw_data).toMatchObject({ status: "paid" });
    expect(
      (await events()).every((e) => e.status === "processed" && e.attempts === 1 && e.claimed_until === null),
    )
      .toBe(true);
  });

  it("fails only the deliveries whose mapping or records fail, with their reasons, and writes the rest", async () => {
    await store("WHOP", "msg_good", payment("msg_good", 1));
    const unmappable = payment("msg_unmappable", 1);
    delete unmappable.data.id;
    await store("WHOP", "msg_unmappable", unmappable);
    await store(
      "WHOP",
      "msg_negative",
      payment("msg_negative", 1, { id: "pay_neg", total: -5, usd_total: -5 }),
    );
    await store("WHOP", "msg_typeless", { id: "msg_typeless", data: { id: "pay_x" } });
    await store("GHL", "wh_contact", {
      ...fixture("ghl/ContactCreate"),
      timestamp: new Date().toISOString(),
    });
    const tally = await drainEvents(t.kysely, [whop, ghl]);
    expect(tally).toMatchObject({ processed: 2, failed: 2, ignored: 1, pending: 0 });
    const byId = new Map((await events()).map((e) => [e.event_id, e]));
    expect(byId.get("msg_good")).toMatchObject({ status: "processed", error: null });
    expect(byId.get("wh_contact")).toMatchObject({ status: "processed", error: null });
    expect(byId.get("msg_unmappable")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/id/),
    });
    expect(byId.get("msg_negative")).toMatchObject({
      status: "failed",
      error: "pay_neg: total -5 is negative; refused",
    });
    expect(byId.get("msg_typeless")).toMatchObject({ status: "ignored" });
    expect(
      (await t.kysely.selectFrom("whop_data").select("external_whop_id").execute()).map((r) =>
        r.external_whop_id
      ),
    )
      .toEqual(["pay_Fh3KzQ8pLw2Vn1"]);
    expect(await t.kysely.selectFrom("ghl_data").select("id").execute()).toHaveLength(1);
  });

  it("lets concurrent drains share a backlog without processing any delivery twice", async () => {
    for (let i = 0; i < 600; i++) {
      await store("WHOP", `msg_many_${i}`, payment(`msg_many_${i}`, 1, { id: `pay_many_${i}` }));
    }
    const tallies = await Promise.all([1, 2, 3].map(() => drainEvents(t.kysely, [whop], { batchSize: 50 })));
    expect(tallies.reduce((n, x) => n + x.processed, 0)).toBe(600);
    const all = await events();
    expect(all.filter((e) => e.status !== "processed" || e.attempts !== 1)).toEqual([]);
    expect(await t.kysely.selectFrom("whop_data").select("id").execute()).toHaveLength(600);
  });

  it("skips a claim whose backend lives, and takes over one whose backend is gone", async () => {
    await store("WHOP", "msg_claimed", payment("msg_claimed", 1));
    const claim = (pid: ReturnType<typeof sql>) =>
      sql`update webhook_events set claimed_until = now() + interval '1 minute', claimed_by = ${pid}`.execute(
        t.kysely,
      );
    await claim(sql`pg_backend_pid()`);
    expect(await drainEvents(t.kysely, [whop])).toMatchObject({ processed: 0, batches: 0 });
    await claim(sql`(select max(pid) + 100000 from pg_stat_activity)`); // a process that died
    expect(await drainEvents(t.kysely, [whop])).toMatchObject({ processed: 1 });
  });

  it("leaves every delivery pending when the database cannot be reached", async () => {
    await store("WHOP", "msg_waits", payment("msg_waits", 1));
    const down = createDb("postgres://postgres@127.0.0.1:1/x", { connectTimeout: 1 });
    try {
      await expect(drainEvents(down.kysely, [whop])).rejects.toThrow();
    } finally {
      await down.close();
    }
    expect(await events()).toMatchObject([{ status: "pending", attempts: 0 }]);
  });
});

describe("the webhook-drain function", () => {
  const app = () => createDrainApp(() => t.kysely, [whop, ghl], { secret: () => CRON });
  const call = (body: Json, token = CRON) =>
    app().request(
      new Request("http://local/webhook-drain", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );

  it("drains what every source left pending, and refuses a call without the cron secret", async () => {
    await store("WHOP", "msg_left", payment("msg_left", 1));
    await store("GHL", "wh_left", { ...fixture("ghl/ContactCreate"), timestamp: new Date().toISOString() });
    expect((await call({}, "wrong")).status).toBe(401);
    expect((await events()).map((e) => e.status)).toEqual(["pending", "pending"]);
    const res = await call({});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ processed: 2, failed: 0, done: true, waiting: 0 });
    expect((await events()).map((e) => e.status)).toEqual(["processed", "processed"]);
  });

  it("drains one source when asked, and names the known ones for an unknown source", async () => {
    await store("WHOP", "msg_only", payment("msg_only", 1));
    await store("GHL", "wh_later", { ...fixture("ghl/ContactCreate"), timestamp: new Date().toISOString() });
    expect(await (await call({ source: "whop" })).json()).toMatchObject({ processed: 1, done: true });
    expect((await events()).map((e) => e.status)).toEqual(["processed", "pending"]);
    const unknown = await call({ source: "stripe" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ reason: expect.stringMatching(/known: WHOP, GHL/) });
  });

  it("is scheduled by a SQL function only the owner may run", async () => {
    expect((await t.sql`select customer_sync_function_command('webhook-drain') as c`)[0].c)
      .toBe(`select public.customer_sync_invoke('webhook-drain', '{}'::jsonb)`);
    for (
      const fn of [
        "customer_sync_function_command(text)",
        "customer_sync_schedule_function(text, text)",
        "customer_sync_unschedule_function(text)",
      ]
    ) {
      const [row] = await t.sql<{ anon: boolean; authenticated: boolean; service: boolean }[]>`
        select has_function_privilege('anon', ${fn}, 'EXECUTE') as anon,
               has_function_privilege('authenticated', ${fn}, 'EXECUTE') as authenticated,
               has_function_privilege('service_role', ${fn}, 'EXECUTE') as service`;
      expect(row, fn).toEqual({ anon: false, authenticated: false, service: false });
    }
  });
});
