/**
 * Whop deliveries through the webhook app, on the database: every fixture signed as Whop signs it,
 * refunds in the revenue views, refusals that write nothing, failures kept for replay, duplicates
 * and out-of-order deliveries, and a database that cannot take the delivery.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { replayEvents, storeDelivery, type WebhookProcessor } from "../../shared/webhooks/inbox.ts";
import { readDelivery } from "../../shared/webhooks/delivery.ts";
import { whopWebhookSource } from "../../shared/sources/whop/webhook-source.ts";
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import { signWhopLegacySignature } from "../../shared/sources/whop/legacy-signature.ts";
import { MAX_BODY_BYTES } from "../../shared/http/read-body.ts";
import { createDb } from "../../shared/db/client.ts";

const SECRET = "ws_test_secret_0c7d1f9e2a";
let t: TestDatabase;
const source = whopWebhookSource({ secret: () => SECRET });
const app = createWebhookApp(source, () => t.kysely);

beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data, webhook_events cascade`.execute(t.kysely);
});

// deno-lint-ignore no-explicit-any -- fixtures are edited freely in tests
type Json = Record<string, any>;
const fixture = (name: string): Json => JSON.parse(readFileSync(`tests/fixtures/whop/${name}.json`, "utf8"));

/** POSTs a body signed with Standard Webhooks, as Whop signs v1 deliveries. */
async function deliver(
  body: string | Json,
  options: { id?: string; secret?: string; at?: Date; via?: ReturnType<typeof createWebhookApp> } = {},
) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const id = options.id ?? (typeof body === "string" ? "msg_raw" : body.id ?? "msg_no_id");
  const headers = await signStandardWebhook({
    id,
    timestamp: options.at ?? new Date(),
    body: text,
    secret: options.secret ?? SECRET,
  });
  const via = options.via ?? app;
  const res = await via.request(
    new Request("http://local/whop-webhook", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: text,
    }),
  );
  await via.drain.idle(); // processing comes after the answer
  return res;
}

const row = (key: string) =>
  t.kysely.selectFrom("whop_data").selectAll().where("external_whop_id", "=", key).executeTakeFirst();
const events = () => t.kysely.selectFrom("webhook_events").selectAll().orderBy("id").execute();
const count = async (table: "whop_data" | "webhook_events") =>
  Number(
    (await t.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n,
  );

describe("whop-webhook: one delivery per fixture", () => {
  const cases: [string, Json][] = [
    ["payment.succeeded", {
      external_whop_id: "pay_Fh3KzQ8pLw2Vn1",
      kind: "payment",
      amount: "49",
      currency: "USD",
      amount_usd: "49",
      is_revenue: true,
      refunded_amount: "0",
      email: "john.doe@example.com",
    }],
    ["payment.failed", {
      external_whop_id: "pay_Wd7Gk2Mz9Qs4Rt",
      kind: "payment",
      amount: "19.99",
      currency: "EUR",
      amount_usd: "21.67",
      is_revenue: false,
      email: "maria.k@example.com",
    }],
    ["payment.pending", {
      external_whop_id: "pay_Jk5Lz1Xc8Vb3Nm",
      kind: "payment",
      amount: "1200",
      currency: "USD",
      amount_usd: "1200",
      is_revenue: false,
      user_id: null,
    }],
    ["membership.activated", {
      external_whop_id: "mem_Pz5Wc2Ry7Tn4Hm",
      kind: "membership",
      amount: null,
      is_revenue: false,
      email: "john.doe@example.com",
    }],
    ["membership.deactivated", {
      external_whop_id: "mem_Hq2Vx8Lp3Zr6Nc",
      kind: "membership",
      is_revenue: false,
      email: "maria.k@example.com",
    }],
    ["refund.created", {
      external_whop_id: "rfnd_Mx4Cz8Vb2Nq6Wl",
      kind: "refund",
      parent_key: "pay_Fh3KzQ8pLw2Vn1",
      currency: "USD",
      refunded_amount: "0",
      is_revenue: false,
      user_id: null,
    }],
  ];
  for (const [name, expected] of cases) {
    it(`stores ${name} with the whole data object and its money`, async () => {
      const body = fixture(name);
      const res = await deliver(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "stored", id: body.id });
      const stored = await row(expected.external_whop_id);
      expect(stored).toMatchObject(expected);
      expect(stored!.raw_data).toEqual(body.data);
      if ("email" in expected) expect(stored!.user_id).not.toBeNull();
      expect((await events()).map((e) => [e.event_id, e.status])).toEqual([[body.id, "processed"]]);
    });
  }

  it("stores a legacy v5 payment signed with x-whop-signature", async () => {
    const text = readFileSync("tests/fixtures/whop/legacy-v5.payment.succeeded.json", "utf8");
    const res = await app.request(
      new Request("http://local/whop-webhook", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-whop-signature": await signWhopLegacySignature({
            body: text,
            secret: SECRET,
            timestamp: new Date(),
          }),
        },
        body: text,
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "stored" });
    await app.drain.idle();
    const stored = await row("pay_Rt6Yu1Io5Pa9Sd");
    expect(stored).toMatchObject({
      kind: "payment",
      amount: "2",
      currency: "USD",
      is_revenue: true,
      user_id: null,
    });
    expect(stored!.raw_data).toEqual(JSON.parse(text).data);
  });

  it("accepts a whsec_ secret (the Standard Webhooks base64 form)", async () => {
    const whsec = `whsec_${randomBytes(32).toString("base64")}`;
    const via = createWebhookApp(whopWebhookSource({ secret: () => whsec }), () => t.kysely);
    const res = await deliver(fixture("payment.succeeded"), { secret: whsec, via });
    expect(res.status).toBe(200);
    expect(await row("pay_Fh3KzQ8pLw2Vn1")).toBeDefined();
  });
});

describe("whop-webhook: refunds in the revenue views", () => {
  const revenueOf = async (email: string) =>
    (await t.kysely.selectFrom("revenue_by_user").select("whop_usd").where("email", "=", email)
      .executeTakeFirstOrThrow())
      .whop_usd;
  const month = async (m: string) => {
    const [r] = (await sql<{ gross_usd: string; refunded_usd: string; net_usd: string }>`
      select gross_usd, refunded_usd, net_usd from revenue_by_month
      where source = 'WHOP' and month = ${m}::date`.execute(t.kysely)).rows;
    return { gross: Number(r.gross_usd), refunded: Number(r.refunded_usd), net: Number(r.net_usd) };
  };

  it("lowers whop_usd and raises refunded_usd once a refund succeeds, not while it is pending", async () => {
    await deliver(fixture("payment.succeeded"));
    expect(Number(await revenueOf("john.doe@example.com"))).toBe(49);

    const pending = fixture("refund.created");
    await deliver(pending);
    expect(Number(await revenueOf("john.doe@example.com"))).toBe(49);

    const succeeded = {
      ...pending,
      id: "msg_refund_succeeded",
      type: "refund.updated",
      timestamp: "2026-07-23T09:20:00.000Z",
      data: { ...pending.data, status: "succeeded" },
    };
    expect((await deliver(succeeded)).status).toBe(200);
    expect(await row("rfnd_Mx4Cz8Vb2Nq6Wl")).toMatchObject({
      refunded_amount: "10.43",
      parent_key: "pay_Fh3KzQ8pLw2Vn1",
    });
    expect(Number(await revenueOf("john.doe@example.com"))).toBe(38.57);
    expect(await month("2026-07-01")).toEqual({ gross: 49, refunded: 10.43, net: 38.57 });
  });

  it("converts a refund in another currency with the payment's own USD ratio", async () => {
    const paid = fixture("payment.failed");
    paid.id = "msg_eur_paid";
    paid.type = "payment.succeeded";
    paid.data = { ...paid.data, status: "paid", substatus: "succeeded", paid_at: "2026-07-24T08:00:03.000Z" };
    await deliver(paid);
    const refund = fixture("refund.created");
    refund.id = "msg_eur_refund";
    refund.data = {
      ...refund.data,
      id: "rfnd_eur_1",
      amount: 10,
      currency: "eur",
      status: "succeeded",
      payment: { id: "pay_Wd7Gk2Mz9Qs4Rt" },
    };
    await deliver(refund);
    // 10 EUR of a 19.99 EUR payment that was 21.67 USD: round(10 × 21.67 / 19.99, 2) = 10.84.
    expect(await month("2026-07-01")).toEqual({ gross: 21.67, refunded: 10.84, net: 10.83 });
    expect(Number(await revenueOf("maria.k@example.com"))).toBe(10.83);
  });
});

describe("whop-webhook: refusals write nothing", () => {
  const body = JSON.stringify(fixture("payment.succeeded"));

  async function refused(request: Request, status: number) {
    const res = await app.request(request);
    expect(res.status).toBe(status);
    expect(await count("webhook_events")).toBe(0);
    expect(await count("whop_data")).toBe(0);
    return (await res.json()) as Json;
  }
  const post = (headers: Record<string, string>, payload: string = body) =>
    new Request("http://local/whop-webhook", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: payload,
    });
  const signed = (options: { at?: Date; secret?: string } = {}) =>
    signStandardWebhook({
      id: "msg_refused",
      timestamp: options.at ?? new Date(),
      body,
      secret: options.secret ?? SECRET,
    });

  it("answers 401 to a tampered body", async () => {
    const reply = await refused(post(await signed(), body.replace('"total":49', '"total":4900')), 401);
    expect(reply.reason).toBe("no matching signature");
  });

  it("answers 401 to a signature made with another secret", async () => {
    await refused(post(await signed({ secret: "ws_someone_else" })), 401);
  });

  it("answers 401 to a timestamp more than 5 minutes old or ahead", async () => {
    for (const offset of [-301_000, 301_000]) {
      const reply = await refused(post(await signed({ at: new Date(Date.now() + offset) })), 401);
      expect(reply.reason).toMatch(/timestamp outside/);
    }
  });

  it("answers 401 when a signature header is missing", async () => {
    const all = await signed();
    for (const missing of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const headers = { ...all };
      delete headers[missing as keyof typeof headers];
      const reply = await refused(post(headers), 401);
      expect(reply.reason).toContain(missing);
    }
    await refused(post({}), 401);
  });

  it("answers 413 to a body of 1 MiB + 1 byte", async () => {
    const big = `{"pad":"${"x".repeat(MAX_BODY_BYTES + 1 - 10)}"}`;
    expect(new TextEncoder().encode(big).length).toBe(MAX_BODY_BYTES + 1);
    const headers = await signStandardWebhook({
      id: "msg_big",
      timestamp: new Date(),
      body: big,
      secret: SECRET,
    });
    await refused(post(headers, big), 413);
  });
});

describe("whop-webhook: nothing lost", () => {
  const broken = () => {
    const body = fixture("payment.succeeded");
    body.id = "msg_broken";
    delete body.data.id;
    return body;
  };

  it("keeps a delivery that fails processing as failed, answers 200, and replay reports it again", async () => {
    const res = await deliver(broken());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "stored", id: "msg_broken" });
    const [stored] = await events();
    expect(stored).toMatchObject({ event_id: "msg_broken", status: "failed", attempts: 1 });
    expect(stored.error).toMatch(/id/);
    expect(await count("whop_data")).toBe(0);

    const tally = await replayEvents(t.kysely, [source]);
    expect(tally).toMatchObject({ failed: 1, processed: 0 });
    const [again] = await events();
    expect(again).toMatchObject({ status: "failed", attempts: 2, error: stored.error });
  });

  it("processes a failed delivery on replay once the code handles it", async () => {
    await deliver(broken());
    // Stands for a fixed release: the mapper now finds the id it needs.
    const fixed: WebhookProcessor = {
      ...source,
      toRecords: (payload) => {
        const p = payload as Json;
        return source.toRecords({ ...p, data: { id: "pay_Fh3KzQ8pLw2Vn1", ...p.data } });
      },
    };
    expect(await replayEvents(t.kysely, [fixed])).toMatchObject({ processed: 1, failed: 0 });
    expect((await events())[0]).toMatchObject({ status: "processed", error: null });
    expect(await row("pay_Fh3KzQ8pLw2Vn1")).toMatchObject({ amount: "49", is_revenue: true });
  });

  it("processes on replay a delivery a crash left pending, once it is no longer in flight", async () => {
    const text = JSON.stringify(fixture("membership.activated"));
    await storeDelivery(t.kysely, {
      source: "WHOP",
      eventId: "msg_left_pending",
      eventType: "membership.activated",
      body: readDelivery(new TextEncoder().encode(text)),
    });
    expect(await replayEvents(t.kysely, [source])).toMatchObject({ processed: 0 });
    expect((await events())[0].status).toBe("pending");
    expect(await replayEvents(t.kysely, [source], { minAgeSeconds: 0 })).toMatchObject({ processed: 1 });
    expect((await events())[0].status).toBe("processed");
    expect(await row("mem_Pz5Wc2Ry7Tn4Hm")).toBeDefined();
  });

  it("answers 200 to a duplicate and changes nothing", async () => {
    const body = fixture("payment.succeeded");
    await deliver(body);
    const before = await row("pay_Fh3KzQ8pLw2Vn1");
    const res = await deliver(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "duplicate", id: body.id });
    expect(await row("pay_Fh3KzQ8pLw2Vn1")).toEqual(before);
    expect((await events()).map((e) => [e.event_id, e.attempts])).toEqual([[body.id, 1]]);
  });

  it("answers 503 when the database cannot take the delivery", async () => {
    const down = createDb("postgres://postgres@127.0.0.1:1/x", { connectTimeout: 2 });
    try {
      const via = createWebhookApp(source, () => down.kysely);
      const res = await deliver(fixture("payment.succeeded"), { via });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: "unavailable" });
    } finally {
      await down.close();
    }
  });
});

describe("whop-webhook: order of arrival", () => {
  /** Three states of one payment, oldest first: created, paid, then refunded in full. */
  function states(payment: string): Json[] {
    const base = fixture("payment.succeeded");
    const at = (s: number) => new Date(Date.UTC(2026, 6, 22, 14, 3, s)).toISOString();
    const state = (n: number, type: string, data: Json) => ({
      ...base,
      id: `msg_${payment}_${n}`,
      type,
      timestamp: at(20 + n),
      data: { ...base.data, id: payment, updated_at: at(n), ...data },
    });
    return [
      state(1, "payment.created", { status: "open", substatus: "pending", paid_at: null }),
      state(2, "payment.succeeded", { status: "paid", substatus: "succeeded" }),
      // Whop sends the payment again with its new refunded amount (the refund itself is its own event).
      state(3, "payment.succeeded", { status: "paid", substatus: "refunded", refunded_amount: 49 }),
    ];
  }
  const orders = [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1, 2], [0, 2, 2, 1, 0], [1, 0, 2, 1]];

  for (const order of orders) {
    it(`ends in the newest state when deliveries arrive as ${order.join(", ")}`, async () => {
      const payment = `pay_order_${order.join("")}`;
      const sent = states(payment);
      for (const i of order) expect((await deliver(sent[i])).status).toBe(200);
      const stored = await row(payment);
      expect(stored!.raw_data).toEqual(sent[2].data);
      expect(stored).toMatchObject({ refunded_amount: "49", is_revenue: true });
      expect(stored!.source_updated_at).toEqual(new Date(sent[2].data.updated_at));
      expect(await count("webhook_events")).toBe(new Set(order).size);
    });
  }
});

describe("whop-webhook without a database configured", () => {
  it("answers 500 naming DATABASE_URL, not a stack trace", async () => {
    const { createWebhookApp } = await import("../../shared/webhooks/webhook-app.ts");
    const { whopWebhookSource } = await import("../../shared/sources/whop/webhook-source.ts");
    const { ConfigError } = await import("../../shared/errors.ts");
    const secret = "ws_no_db";
    const app = createWebhookApp(whopWebhookSource({ secret: () => secret }), () => {
      throw new ConfigError("DATABASE_URL is not set (in Supabase, SUPABASE_DB_URL)");
    });
    const body = JSON.stringify({
      id: "msg_nodb",
      type: "payment.succeeded",
      timestamp: new Date().toISOString(),
      data: { id: "pay_x" },
    });
    const { signStandardWebhook } = await import("../../shared/sources/whop/standard-webhooks.ts");
    const headers = await signStandardWebhook({ id: "msg_nodb", timestamp: new Date(), body, secret });
    const res = await app.request(
      new Request("http://local/whop-webhook", { method: "POST", headers, body }),
    );
    expect(res.status).toBe(500);
    const answer = await res.json();
    expect(answer).toEqual({
      error: "misconfigured",
      reason: "DATABASE_URL is not set (in Supabase, SUPABASE_DB_URL)",
    });
  });
});
