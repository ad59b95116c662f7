/**
 * Whop deliveries converge on the newest state however they arrive: a legacy delivery without a
 * change time replayed late, two versions of one change time, a version without an email; and
 * disputes, refunds beyond their payment and negative totals reach the revenue views as documented.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { replayEvents, storeDelivery } from "../../shared/webhooks/inbox.ts";
import { readDelivery } from "../../shared/webhooks/delivery.ts";
import { claimAsDying, outcomeOf } from "../helpers/outcome.ts";
import { whopWebhookSource } from "../../shared/sources/whop/webhook-source.ts";
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import { signWhopLegacySignature } from "../../shared/sources/whop/legacy-signature.ts";

const SECRET = "ws_test_secret_convergence";
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
const PAYMENT = "pay_Fh3KzQ8pLw2Vn1";
const EMAIL = "john.doe@example.com";

let seq = 0;
/** A v1 event of `type` about `data`, with a fresh delivery id. */
const event = (type: string, data: Json): Json => ({
  ...fixture("payment.succeeded"),
  id: `msg_${++seq}`,
  type,
  data,
});

async function deliver(body: Json) {
  const text = JSON.stringify(body);
  const headers = await signStandardWebhook({
    id: body.id,
    timestamp: new Date(),
    body: text,
    secret: SECRET,
  });
  const res = await app.request(
    new Request("http://local/whop-webhook", { method: "POST", headers: { ...headers }, body: text }),
  );
  return await outcomeOf(t.kysely, app, res);
}

async function deliverLegacy(body: Json) {
  const text = JSON.stringify(body);
  const signature = await signWhopLegacySignature({ body: text, secret: SECRET, timestamp: new Date() });
  const res = await app.request(
    new Request("http://local/whop-webhook", {
      method: "POST",
      headers: { "x-whop-signature": signature },
      body: text,
    }),
  );
  return await outcomeOf(t.kysely, app, res);
}

const revenue = async (email = EMAIL) =>
  (await sql<{ whop_usd: string; total_usd: string }>`
    select whop_usd, total_usd from revenue_by_user where email = ${email}`.execute(t.kysely)).rows[0];
const problems = async () =>
  (await sql<Json>`select source, key, problem, amount, user_id from revenue_problems order by problem, key`
    .execute(t.kysely)).rows;
const row = (key: string) =>
  t.kysely.selectFrom("whop_data").selectAll().where("external_whop_id", "=", key).executeTakeFirstOrThrow();
const userId = async (email: string) =>
  (await t.kysely.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;

describe("whop: the newest state wins without change times and in ties", () => {
  it("keeps a $99 sale when a legacy payment.failed received before it is replayed late", async () => {
    const legacy = (status: string, action: string) => ({
      action,
      api_version: "v5",
      data: {
        id: "pay_legacy99",
        status,
        final_amount: 99,
        currency: "usd",
        created_at: 1675816599,
        user: { id: "user_1", email: EMAIL, name: "John Doe" },
      },
    });
    // The failed attempt is stored, then the process dies before processing it.
    const failedText = JSON.stringify(legacy("open", "payment.failed"));
    await storeDelivery(t.kysely, {
      source: "WHOP",
      eventId: "v5_failed_attempt",
      eventType: "payment.failed",
      body: readDelivery(new TextEncoder().encode(failedText)),
    });
    // A drain claimed it and its process is dying, so the next drain skips it.
    await claimAsDying(t.kysely, "v5_failed_attempt", true);
    await new Promise((r) => setTimeout(r, 20));
    expect(await deliverLegacy(legacy("paid", "payment.succeeded"))).toMatchObject({ status: "processed" });
    expect(await revenue()).toEqual({ whop_usd: "99.00", total_usd: "99.00" });
    await claimAsDying(t.kysely, "v5_failed_attempt", false); // the process is gone

    const tally = await replayEvents(t.kysely, [source], { minAgeSeconds: 0 });
    expect(tally.processed).toBe(1);
    expect(await row("pay_legacy99")).toMatchObject({ is_revenue: true, amount: "99" });
    expect(await revenue()).toEqual({ whop_usd: "99.00", total_usd: "99.00" });
  });

  it("keeps the sale when payment.created (open) shares its updated_at with payment.succeeded (paid)", async () => {
    const paid = fixture("payment.succeeded").data;
    expect(await deliver(event("payment.succeeded", paid))).toMatchObject({ status: "processed" });
    const open = { ...paid, status: "open", substatus: "pending", paid_at: null };
    expect(await deliver(event("payment.created", open))).toMatchObject({ status: "processed" });
    expect(await row(PAYMENT)).toMatchObject({ is_revenue: true });
    expect((await row(PAYMENT)).raw_data).toMatchObject({ status: "paid" });
    expect(await revenue()).toEqual({ whop_usd: "49.00", total_usd: "49.00" });
  });

  it("lets the later-received version win a tie the lifecycle cannot order", async () => {
    const paid = fixture("payment.succeeded").data;
    await deliver(event("payment.succeeded", paid));
    await deliver(event("payment.succeeded", { ...paid, product: { id: "prod_2", title: "Renamed" } }));
    expect((await row(PAYMENT)).raw_data).toMatchObject({ product: { title: "Renamed" } });
  });

  it("keeps the person of a record whose newer version carries no email, and moves it on a new one", async () => {
    const paid = fixture("payment.succeeded").data;
    await deliver(event("payment.succeeded", paid));
    const later = "2026-07-23T00:00:00.000Z";
    const withheld = { ...paid, updated_at: later, user: { ...paid.user, email: null } };
    expect(await deliver(event("payment.succeeded", withheld))).toMatchObject({ status: "processed" });
    expect(await row(PAYMENT)).toMatchObject({ user_id: await userId(EMAIL), email: EMAIL });
    expect((await row(PAYMENT)).raw_data).toMatchObject({ updated_at: later });
    expect(await revenue()).toEqual({ whop_usd: "49.00", total_usd: "49.00" });

    const moved = {
      ...paid,
      updated_at: "2026-07-24T00:00:00.000Z",
      user: { ...paid.user, email: "jd@x.org" },
    };
    await deliver(event("payment.succeeded", moved));
    expect(await row(PAYMENT)).toMatchObject({ user_id: await userId("jd@x.org") });
    expect(await revenue()).toEqual({ whop_usd: "0.00", total_usd: "0.00" });
  });
});

describe("whop: disputes, refunds and money sanity", () => {
  const dispute = (status: string, updatedAt: string, data: Json = {}) => {
    const body = fixture("dispute.created");
    return {
      ...body,
      id: `msg_${++seq}`,
      type: "dispute.updated",
      data: { ...body.data, ...data, status, updated_at: updatedAt },
    };
  };

  it("lists an open dispute without subtracting it, subtracts a lost one and restores a won one", async () => {
    await deliver(fixture("payment.succeeded"));
    expect(await deliver(fixture("dispute.created"))).toMatchObject({ status: "processed" });
    expect(await revenue()).toEqual({ whop_usd: "49.00", total_usd: "49.00" });
    expect(await problems()).toEqual([
      { source: "WHOP", key: "dspt_Gk4Nw8Qz2Rt6Yb", problem: "open_dispute", amount: "49", user_id: null },
    ]);

    await deliver(dispute("lost", "2026-08-20T00:00:00.000Z"));
    expect(await revenue()).toEqual({ whop_usd: "0.00", total_usd: "0.00" });
    expect(await problems()).toEqual([]);

    await deliver(dispute("won", "2026-09-01T00:00:00.000Z"));
    expect(await revenue()).toEqual({ whop_usd: "49.00", total_usd: "49.00" });
  });

  it("subtracts a lost dispute in the payment's USD ratio, linked to the payment's person", async () => {
    const eur = { ...fixture("payment.succeeded").data, currency: "eur", total: 20, usd_total: 22 };
    await deliver(event("payment.succeeded", eur));
    const buyer = { email: "John.Doe@Example.com", name: "John Doe" };
    await deliver(dispute("lost", "2026-08-20T00:00:00.000Z", { amount: 10, currency: "eur", buyer }));
    expect(await revenue()).toEqual({ whop_usd: "11.00", total_usd: "11.00" });
    expect(await row("dspt_Gk4Nw8Qz2Rt6Yb")).toMatchObject({ user_id: await userId(EMAIL), kind: "dispute" });
  });

  it("links a refund to the buyer named at data.payment.user", async () => {
    await deliver(fixture("payment.succeeded"));
    const refund = fixture("refund.created");
    refund.data.payment.user = { id: "user_Ak9Ds3Fg6Hj2Kl", email: EMAIL, name: "John Doe" };
    await deliver(refund);
    expect(await row("rfnd_Mx4Cz8Vb2Nq6Wl")).toMatchObject({ user_id: await userId(EMAIL), email: EMAIL });
  });

  it("caps refunds at the payment's amount and reports the excess instead of counting it", async () => {
    await deliver(fixture("payment.succeeded"));
    const refund = fixture("refund.created");
    refund.data = { ...refund.data, status: "succeeded", amount: 60 };
    await deliver(refund);
    expect(await revenue()).toEqual({ whop_usd: "0.00", total_usd: "0.00" });
    expect(await problems()).toMatchObject([
      { source: "WHOP", key: PAYMENT, problem: "refund_exceeds_payment", amount: "11" },
    ]);
  });

  it("refuses a paid payment with a negative total, with a one-line reason", async () => {
    const negative = { ...fixture("payment.succeeded").data, id: "pay_neg", total: -5, usd_total: -5 };
    const answer = await deliver(event("payment.succeeded", negative));
    expect(answer).toMatchObject({ status: "failed" });
    expect(answer.reason).toMatch(/^pay_neg: total -5 is negative; refused$/);
    expect(await t.kysely.selectFrom("whop_data").select("id").execute()).toEqual([]);
  });

  it("ignores a body that names no event type, and replay leaves it alone", async () => {
    expect(await deliver({ id: "msg_typeless", data: { id: "pay_x" } })).toMatchObject({ status: "ignored" });
    await replayEvents(t.kysely, [source], { minAgeSeconds: 0 });
    const [stored] = await t.kysely.selectFrom("webhook_events").selectAll().execute();
    expect(stored).toMatchObject({ status: "ignored", attempts: 1 });
  });
});
