import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { startDenoServer, type DenoServer } from "../helpers/deno-server.ts";
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import { readFileSync } from "node:fs";

const SECRET = "ws_test_secret_for_the_deno_server";
let t: TestDatabase;
let server: DenoServer;

beforeAll(async () => {
  t = await openTestDatabase();
  server = await startDenoServer({ DATABASE_URL: t.url, WHOP_WEBHOOK_SECRET: SECRET });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await t?.close();
});

describe("whop-webhook in the real Deno runtime", () => {
  it("stores a signed delivery, upserts the payment and absorbs the repeat", async () => {
    const body = readFileSync("tests/fixtures/whop/payment.succeeded.json");
    const id = JSON.parse(body.toString()).id as string;
    const headers = await signStandardWebhook({ id, timestamp: new Date(), body: new Uint8Array(body), secret: SECRET });
    const send = () =>
      fetch(`${server.base}/whop-webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: "processed" });
    const again = await send();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "duplicate" });
    const events = await t.kysely.selectFrom("webhook_events").selectAll().execute();
    expect(events).toHaveLength(1);
    const rows = await t.kysely.selectFrom("whop_data").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].user_id).not.toBeNull();
  });

  it("answers 401 to a tampered body and writes nothing", async () => {
    const body = readFileSync("tests/fixtures/whop/payment.succeeded.json", "utf8");
    const headers = await signStandardWebhook({ id: "msg_tampered", timestamp: new Date(), body, secret: SECRET });
    const res = await fetch(`${server.base}/whop-webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: body.replace("49", "4900"),
    });
    expect(res.status).toBe(401);
    const json = await res.json();
    expect(json.reason).toBe("no matching signature");
    const events = await t.kysely.selectFrom("webhook_events").select("event_id").where("event_id", "=", "msg_tampered").execute();
    expect(events).toHaveLength(0);
  });

  it("answers 404 JSON for a function that does not exist", async () => {
    const res = await fetch(`${server.base}/no-such-function`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not found" });
  });
});
