/**
 * HighLevel deliveries converge on the newest state: a ContactCreate without `timestamp` replayed
 * late, workflow bodies (which carry no time) repeating an earlier one, the typeless InvoicePaid
 * example, and what HighLevel's money counts for (nothing: README, "Revenue").
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { replayEvents, storeDelivery } from "../../shared/webhooks/inbox.ts";
import { readDelivery } from "../../shared/webhooks/delivery.ts";
import { claimAsDying, outcomeOf } from "../helpers/outcome.ts";
import { ghlWebhookSource } from "../../shared/sources/ghl/webhook-source.ts";
import { workflowDeliveryId } from "../../shared/sources/ghl/workflow-delivery-id.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";

const WORKFLOW_SECRET = "wf-secret-convergence";
const CONTACT = "nmFmQEsNgz6AVpgLVUJ0";
let t: TestDatabase;
let signer: GhlTestSigner;
let source: ReturnType<typeof ghlWebhookSource>;
let app: ReturnType<typeof createWebhookApp>;

beforeAll(async () => {
  t = await openTestDatabase();
  signer = await createGhlTestSigner();
  source = ghlWebhookSource({ ...signer.pems, workflowSecret: () => WORKFLOW_SECRET });
  app = createWebhookApp(source, () => t.kysely);
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, ghl_data, webhook_events cascade`.execute(t.kysely);
});

// deno-lint-ignore no-explicit-any -- fixtures are edited freely in tests
type Json = Record<string, any>;
const fixture = (name: string): Json => JSON.parse(readFileSync(`tests/fixtures/ghl/${name}.json`, "utf8"));

async function signed(body: Json) {
  const text = JSON.stringify(body);
  const res = await app.request(
    new Request("http://127.0.0.1/ghl-webhook", {
      method: "POST",
      headers: await signer.headers(text),
      body: text,
    }),
  );
  return await outcomeOf(t.kysely, app, res);
}

async function workflow(body: Json) {
  const res = await app.request(
    new Request("http://127.0.0.1/ghl-webhook", {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-secret": WORKFLOW_SECRET },
      body: JSON.stringify(body),
    }),
  );
  return await outcomeOf(t.kysely, app, res);
}

const contact = (id: string) =>
  t.kysely.selectFrom("ghl_data").innerJoin("users", "users.id", "ghl_data.user_id")
    .select(["ghl_data.email", "users.email as person"]).where("external_contact_id", "=", id)
    .executeTakeFirstOrThrow();
const events = () =>
  t.kysely.selectFrom("webhook_events").select(["event_id", "status", "attempts"]).orderBy("id").execute();
const pause = () => new Promise((r) => setTimeout(r, 20));

describe("ghl: the newest state wins without timestamps", () => {
  it("keeps the newer email when a ContactCreate without timestamp received earlier is replayed late", async () => {
    const { timestamp: _, ...create } = fixture("ContactCreate");
    create.email = "old@example.com";
    const text = JSON.stringify(create);
    // Stored, then the process died before processing it.
    await storeDelivery(t.kysely, {
      source: "GHL",
      eventId: create.webhookId,
      eventType: "ContactCreate",
      body: readDelivery(new TextEncoder().encode(text)),
    });
    // A drain claimed it and its process is dying, so the next drain skips it.
    await claimAsDying(t.kysely, create.webhookId, true);
    await pause();
    const update = {
      ...fixture("ContactUpdate"),
      timestamp: new Date().toISOString(),
      email: "new@example.com",
    };
    expect(await signed(update)).toMatchObject({ status: "processed" });

    await claimAsDying(t.kysely, create.webhookId, false); // the process is gone
    await replayEvents(t.kysely, [source], { minAgeSeconds: 0 });
    expect((await events()).map((e) => e.status)).toEqual(["processed", "processed"]);
    expect(await contact(CONTACT)).toEqual({ email: "new@example.com", person: "new@example.com" });
  });

  it("applies a workflow body that repeats an earlier one after another (A, B, A)", async () => {
    const a = fixture("workflow");
    const b = { ...a, email: "jane.b@example.com" };
    await workflow(a);
    await pause();
    await workflow(b);
    await pause();
    expect(await workflow(a)).toMatchObject({ status: "processed" });
    expect(await contact(a.contact_id)).toEqual({ email: "jane@example.com", person: "jane@example.com" });
    expect(await events()).toHaveLength(3);
  });

  it("applies A, B, A while the first A still waits to be processed (processing follows the answer)", async () => {
    const a = fixture("workflow");
    const b = { ...a, email: "jane.b@example.com" };
    const bytes = new TextEncoder().encode(JSON.stringify(a));
    const id = await workflowDeliveryId(bytes);
    // A is stored; a drain claimed it and is still alive, so it stays pending through what follows.
    await storeDelivery(t.kysely, {
      source: "GHL",
      eventId: id,
      eventType: "workflow",
      subject: a.contact_id,
      body: readDelivery(bytes),
    });
    await claimAsDying(t.kysely, id, true);
    await pause();
    await workflow(b);
    await pause();
    expect(await workflow(a)).toMatchObject({ answer: "stored", status: "processed" });
    await claimAsDying(t.kysely, id, false);
    await replayEvents(t.kysely, [source], { minAgeSeconds: 0 });
    expect(await contact(a.contact_id)).toEqual({ email: "jane@example.com", person: "jane@example.com" });
    expect(await events()).toHaveLength(3);
  });

  it("still absorbs a true retry of the same workflow delivery", async () => {
    const a = fixture("workflow");
    await workflow(a);
    expect(await workflow(a)).toMatchObject({ answer: "duplicate" });
    expect(await events()).toHaveLength(1);
  });

  it("breaks a tie of one timestamp by the lifecycle: a ContactDelete beats a ContactUpdate", async () => {
    const at = new Date().toISOString();
    await signed({ ...fixture("ContactDelete"), timestamp: at });
    await signed({ ...fixture("ContactUpdate"), timestamp: at });
    const row = await t.kysely.selectFrom("ghl_data").selectAll().executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect(row.raw_data).toMatchObject({ type: "ContactDelete" });
  });
});

describe("ghl: events of no known type, and money", () => {
  it("stores the documented InvoicePaid example (no type) as ignored, and replay leaves it alone", async () => {
    const answer = await signed(fixture("InvoicePaid"));
    expect(answer).toMatchObject({ status: "ignored" });
    expect(answer.reason).toMatch(/invoice without a type/);
    await replayEvents(t.kysely, [source], { minAgeSeconds: 0 });
    expect((await events()).map((e) => [e.status, e.attempts])).toEqual([["ignored", 1]]);
    expect(await t.kysely.selectFrom("ghl_data").select("id").execute()).toEqual([]);
  });

  it("has no ghl_usd: HighLevel money counts in no revenue view", async () => {
    await workflow(fixture("workflow")); // carries payment: succeeded, 832 USD
    const columns = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_name = 'revenue_by_user'
      order by ordinal_position`.execute(t.kysely);
    expect(columns.rows.map((c) => c.column_name)).toEqual([
      "user_id",
      "email",
      "name",
      "whop_usd",
      "sheet_usd",
      "elective_usd",
      "total_usd",
    ]);
    const [jane] = (await sql<Json>`select total_usd from revenue_by_user`.execute(t.kysely)).rows;
    expect(jane).toEqual({ total_usd: "0.00" });
  });
});
