/**
 * elective-webhook in the real Deno runtime (`npm start`), as a Zap's POST step reaches it: the
 * secret in the header or the query, a repeat absorbed, a wrong secret refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { untilProcessed } from "../helpers/outcome.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { electiveUsd, SECRET, zapEvent } from "./helpers.ts";

let t: TestDatabase;
let server: DenoServer;

beforeAll(async () => {
  t = await openTestDatabase();
  server = await startDenoServer({ DATABASE_URL: t.url, ELECTIVE_WEBHOOK_SECRET: SECRET });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await t?.close();
});

describe("elective-webhook in the real Deno runtime", () => {
  it("stores an event sent with the secret, absorbs Zapier's repeat and refuses a wrong secret", async () => {
    const post = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${server.base}/elective-webhook${query}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(zapEvent("order_completed", { order_id: "ord_deno" })),
      });
    const first = await post("", { "x-webhook-secret": SECRET });
    expect([first.status, (await first.json()).status]).toEqual([200, "stored"]);
    await untilProcessed(t.kysely); // processing comes after the answer
    const again = await post(`?secret=${SECRET}`);
    expect([again.status, (await again.json()).status]).toEqual([200, "duplicate"]);
    const wrong = await post("?secret=nope");
    expect(wrong.status).toBe(401);
    expect(await t.kysely.selectFrom("webhook_events").select("status").execute()).toEqual([{ status: "processed" }]);
    expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
  });
});
