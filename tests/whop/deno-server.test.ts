import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { untilProcessed } from "../helpers/outcome.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import { readFileSync } from "node:fs";
import {
  startWhopApiDouble,
  type WhopApiDouble,
  whopMembershipObject,
  whopPaymentObject,
} from "../helpers/whop-api-double.ts";

const SECRET = "ws_test_secret_for_the_deno_server";
let t: TestDatabase;
const CRON_SECRET = "cron_secret_for_the_deno_server";
const WHOP_API_KEY = "whop_key_for_the_deno_server";
let server: DenoServer;
let whop: WhopApiDouble;

beforeAll(async () => {
  [t, whop] = await Promise.all([openTestDatabase(), startWhopApiDouble({ apiKey: WHOP_API_KEY })]);
  server = await startDenoServer({
    DATABASE_URL: t.url,
    WHOP_WEBHOOK_SECRET: SECRET,
    CRON_SECRET,
    WHOP_API_KEY,
    WHOP_API_BASE: whop.base,
    WHOP_BACKFILL_PAGE_SIZE: "2",
  });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await whop?.stop();
  await t?.close();
});

describe("whop functions in the real Deno runtime, each in its own isolate (the Edge profile)", () => {
  it("stores a signed delivery, upserts the payment and absorbs the repeat", async () => {
    const body = readFileSync("tests/fixtures/whop/payment.succeeded.json");
    const id = JSON.parse(body.toString()).id as string;
    const headers = await signStandardWebhook({
      id,
      timestamp: new Date(),
      body: new Uint8Array(body),
      secret: SECRET,
    });
    const send = () =>
      fetch(`${server.base}/whop-webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const first = await send();
    expect(first.status).toBe(200);
    // Served by its own metered process, as on Supabase.
    expect(first.headers.get("x-edge-cpu-ms")).toMatch(/^\d+\.\d$/);
    expect(await first.json()).toEqual({ status: "stored", id });
    const again = await send();
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: "duplicate", id });
    await untilProcessed(t.kysely);
    const events = await t.kysely.selectFrom("webhook_events").selectAll().execute();
    expect(events).toHaveLength(1);
    const rows = await t.kysely.selectFrom("whop_data").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].user_id).not.toBeNull();
  });

  it("answers 401 to a tampered body and writes nothing", async () => {
    const body = readFileSync("tests/fixtures/whop/payment.succeeded.json", "utf8");
    const headers = await signStandardWebhook({
      id: "msg_tampered",
      timestamp: new Date(),
      body,
      secret: SECRET,
    });
    const res = await fetch(`${server.base}/whop-webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: body.replace("49", "4900"),
    });
    expect(res.status).toBe(401);
    const json = await res.json();
    expect(json.reason).toBe("no matching signature");
    const events = await t.kysely.selectFrom("webhook_events").select("event_id").where(
      "event_id",
      "=",
      "msg_tampered",
    ).execute();
    expect(events).toHaveLength(0);
  });

  it("answers 404 JSON for a function that does not exist", async () => {
    const res = await fetch(`${server.base}/no-such-function`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not found" });
  });

  it("runs a whop-backfill slice against the Whop API from the environment, behind the cron secret", async () => {
    whop.objects.payments = [whopPaymentObject(1), whopPaymentObject(2), whopPaymentObject(3)];
    whop.objects.memberships = [whopMembershipObject(1)];
    const refused = await fetch(`${server.base}/whop-backfill`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    expect(whop.requests).toHaveLength(0);

    const res = await fetch(`${server.base}/whop-backfill`, {
      method: "POST",
      headers: { authorization: `Bearer ${CRON_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ full: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ done: true, resource: "memberships", pages: 3, records: 4 });
    expect(whop.requests.map((r) => [r.resource, r.first, r.authorization])).toEqual([
      ["payments", 2, `Bearer ${WHOP_API_KEY}`],
      ["payments", 2, `Bearer ${WHOP_API_KEY}`],
      ["memberships", 2, `Bearer ${WHOP_API_KEY}`],
    ]);
    const rows = await t.kysely.selectFrom("whop_data").select("external_whop_id")
      .where("external_whop_id", "like", "%backfill%").execute();
    expect(rows).toHaveLength(4);
  });
});
