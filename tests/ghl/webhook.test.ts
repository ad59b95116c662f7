import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { readFileSync } from "node:fs";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { ghlWebhookSource } from "../../shared/sources/ghl/webhook-source.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";
import { upsertRecords } from "../../shared/sync/engine.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";
import { createDb } from "../../shared/db/client.ts";
import { sha256Hex, utf8 } from "../../shared/crypto/encoding.ts";

const LOCATION = "ve9EPM428h8vShlRW1KT";
const CONTACT = "nmFmQEsNgz6AVpgLVUJ0";
const WORKFLOW_SECRET = "wf-secret-for-tests";
const URL_BASE = "http://127.0.0.1/ghl-webhook";

let t: TestDatabase;
let signer: GhlTestSigner;
let app: ReturnType<typeof createWebhookApp>;

beforeAll(async () => {
  t = await openTestDatabase();
  signer = await createGhlTestSigner();
  app = createWebhookApp(
    ghlWebhookSource({ ...signer.pems, workflowSecret: () => WORKFLOW_SECRET }),
    () => t.kysely,
  );
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data, ghl_data, webhook_events cascade`.execute(t.kysely);
});

/** A fixture's bytes as stored, with its `timestamp` set to `sentAt` (HighLevel stamps each send). */
function fixture(name: string, sentAt = new Date()): string {
  const text = readFileSync(`tests/fixtures/ghl/${name}.json`, "utf8");
  return text.replace(/"timestamp": "[^"]*"/, `"timestamp": "${sentAt.toISOString()}"`);
}

/** A fixture changed through its parsed form (same key order, compact). */
function edited(name: string, change: (body: Record<string, unknown>) => void, sentAt = new Date()): string {
  const body = JSON.parse(fixture(name, sentAt));
  change(body);
  return JSON.stringify(body);
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

async function post(body: string | Uint8Array, headers: Headers, url = URL_BASE): Promise<Response> {
  const res = await app.request(new Request(url, { method: "POST", headers, body }));
  await app.drain.idle(); // processing comes after the answer
  return res;
}

async function signed(
  body: string,
  which: { ed25519?: boolean; rsa?: boolean } = { ed25519: true, rsa: true },
) {
  return await post(body, await signer.headers(body, which));
}

async function ghlRows() {
  return await t.kysely.selectFrom("ghl_data").selectAll().orderBy("external_contact_id").execute();
}

async function nothingWritten(): Promise<void> {
  expect(await t.kysely.selectFrom("ghl_data").select("id").execute()).toEqual([]);
  expect(await t.kysely.selectFrom("webhook_events").select("id").execute()).toEqual([]);
}

describe("ghl-webhook: marketplace deliveries", () => {
  const events = ["ContactCreate", "ContactUpdate", "ContactTagUpdate", "ContactDndUpdate"] as const;
  for (const type of events) {
    for (const scheme of ["ed25519", "rsa"] as const) {
      it(`upserts the whole contact of a ${type} signed with ${scheme === "rsa" ? "RSA" : "Ed25519"}`, async () => {
        const body = fixture(type);
        const res = await signed(body, { [scheme]: true });
        expect(res.status).toBe(200);
        const webhookId = JSON.parse(body).webhookId as string;
        expect(await res.json()).toEqual({ status: "stored", id: webhookId });

        const rows = await ghlRows();
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          external_contact_id: CONTACT,
          location_id: LOCATION,
          deleted_at: null,
        });
        expect(rows[0].raw_data).toEqual(JSON.parse(body));
        const user = await t.kysely.selectFrom("users").selectAll().executeTakeFirstOrThrow();
        expect(rows[0].user_id).toBe(user.id);
        expect(user).toMatchObject({ email: JSON.parse(body).email.toLowerCase(), name: "John Deo" });
        const event = await t.kysely.selectFrom("webhook_events").selectAll().executeTakeFirstOrThrow();
        expect(event).toMatchObject({
          source: "GHL",
          event_id: webhookId,
          event_type: type,
          status: "processed",
        });
      });
    }
  }

  it("soft-deletes the contact on ContactDelete and keeps the person", async () => {
    expect((await signed(fixture("ContactCreate", ago(60)))).status).toBe(200);
    const res = await signed(fixture("ContactDelete", ago(30)));
    expect(await res.json()).toMatchObject({ status: "stored" });
    const rows = await ghlRows();
    expect(rows).toHaveLength(1);
    expect(rows[0].deleted_at).not.toBeNull();
    expect(rows[0].raw_data).toMatchObject({ type: "ContactDelete" });
    expect(await t.kysely.selectFrom("users").select("email").execute()).toHaveLength(1);
  });

  it("accepts a delivery carrying both headers when either one verifies", async () => {
    const body = fixture("ContactCreate");
    const badEd = await signer.headers(body);
    badEd.set("X-GHL-Signature", await signer.signEd25519(body + " "));
    expect((await post(body, badEd)).status).toBe(200);

    await sql`truncate users, ghl_data, webhook_events cascade`.execute(t.kysely);
    const badRsa = await signer.headers(body);
    badRsa.set("X-WH-Signature", await signer.signRsa(body + " "));
    expect((await post(body, badRsa)).status).toBe(200);
    expect(await ghlRows()).toHaveLength(1);
  });

  it("takes a repeat of a delivery as a duplicate and changes nothing", async () => {
    const body = fixture("ContactCreate");
    expect((await signed(body)).status).toBe(200);
    const before = await ghlRows();
    const again = await signed(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "duplicate" });
    expect(await ghlRows()).toEqual(before);
    expect(await t.kysely.selectFrom("webhook_events").select("id").execute()).toHaveLength(1);
  });

  it("names a delivery without webhookId by its bytes, so an identical repeat is a no-op", async () => {
    const body = edited("ContactCreate", (b) => delete b.webhookId);
    expect(await (await signed(body)).json()).toMatchObject({ status: "stored" });
    expect(await (await signed(body)).json()).toMatchObject({ status: "duplicate" });
    const events = await t.kysely.selectFrom("webhook_events").select("event_id").execute();
    expect(events).toEqual([{ event_id: `body_${await sha256Hex(utf8(body))}` }]);
  });

  it("accepts a retry whose timestamp is an hour old (HighLevel retries 429s for ~70 min)", async () => {
    const res = await signed(fixture("ContactCreate", ago(3600)));
    expect(res.status).toBe(200);
    expect(await ghlRows()).toHaveLength(1);
  });

  it("stores and ignores an event type it does not handle, answering 200", async () => {
    const body = JSON.stringify({
      type: "OpportunityCreate",
      webhookId: "wh_opp_1",
      timestamp: new Date().toISOString(),
      locationId: LOCATION,
      id: "opp1",
    });
    const res = await signed(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "stored" });
    expect(await ghlRows()).toEqual([]);
    const event = await t.kysely.selectFrom("webhook_events").selectAll().executeTakeFirstOrThrow();
    expect(event).toMatchObject({ status: "ignored", event_type: "OpportunityCreate" });
  });
});

describe("ghl-webhook: people", () => {
  it("leaves a contact without an email unlinked", async () => {
    const body = edited("ContactCreate", (b) => delete b.email);
    expect((await signed(body)).status).toBe(200);
    const rows = await ghlRows();
    expect(rows).toHaveLength(1);
    expect(rows[0].user_id).toBeNull();
    expect(await t.kysely.selectFrom("users").select("id").execute()).toEqual([]);
  });

  it("moves a contact to the person of its new email", async () => {
    await signed(edited("ContactCreate", (b) => (b.email = "old@example.com"), ago(120)));
    await signed(edited("ContactUpdate", (b) => (b.email = "new@example.com"), ago(60)));
    const users = await t.kysely.selectFrom("users").select(["id", "email"]).orderBy("email").execute();
    expect(users.map((u) => u.email)).toEqual(["new@example.com", "old@example.com"]);
    const rows = await ghlRows();
    expect(rows).toHaveLength(1);
    expect(rows[0].user_id).toBe(users[0].id);
  });

  it("gives the person HighLevel's name over a Whop record's name for the same email", async () => {
    const whop = (name: string, at: string) => ({
      key: "pay_1",
      scope: "payment",
      email: "john.deo@example.com",
      name,
      raw: { id: "pay_1", name },
      changedAt: new Date(at),
      amount: "10.00",
      currency: "USD",
      revenue: true,
    });
    await upsertRecords(t.kysely, whopTable, [whop("Johnny Whop", "2026-01-01T00:00:00Z")]);
    const name = async () =>
      (await t.kysely.selectFrom("users").select("name").where("email", "=", "john.deo@example.com")
        .executeTakeFirstOrThrow()).name;
    expect(await name()).toBe("Johnny Whop");
    expect((await signed(fixture("ContactUpdate"))).status).toBe(200);
    expect(await name()).toBe("John Deo");
    // A later Whop change does not take the name back.
    await upsertRecords(t.kysely, whopTable, [whop("J. Whop", "2026-02-01T00:00:00Z")]);
    expect(await name()).toBe("John Deo");
  });
});

describe("ghl-webhook: workflow deliveries", () => {
  const workflow = () => readFileSync("tests/fixtures/ghl/workflow.json", "utf8");

  it("accepts the secret in the x-webhook-secret header and maps the contact", async () => {
    const body = workflow();
    const res = await post(
      body,
      new Headers({ "content-type": "application/json", "x-webhook-secret": WORKFLOW_SECRET }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "stored" });
    const rows = await ghlRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      external_contact_id: "bxoY65VIdH7laJEOHB4Y",
      location_id: "CDR4h44AJ3Ic84nDuigS",
      email: "jane@example.com",
      name: "Jane Doe",
      deleted_at: null,
    });
    expect(rows[0].raw_data).toEqual(JSON.parse(body));
    const event = await t.kysely.selectFrom("webhook_events").selectAll().executeTakeFirstOrThrow();
    expect(event).toMatchObject({ event_id: `wf_${await sha256Hex(utf8(body))}`, event_type: "Workflow" });
  });

  it("accepts the secret in the query string and maps into the same record shape as a marketplace event", async () => {
    const res = await post(
      workflow(),
      new Headers({ "content-type": "application/json" }),
      `${URL_BASE}?secret=${WORKFLOW_SECRET}`,
    );
    expect(res.status).toBe(200);
    const shape = async () => {
      const rows = await t.kysely.selectFrom("ghl_data")
        .innerJoin("users", "users.id", "ghl_data.user_id")
        .select([
          "external_contact_id",
          "location_id",
          "ghl_data.email",
          "ghl_data.name",
          "users.email as person",
          "users.name as person_name",
          "deleted_at",
        ])
        .execute();
      return rows;
    };
    const fromWorkflow = await shape();
    expect(fromWorkflow).toHaveLength(1);

    await sql`truncate users, ghl_data, webhook_events cascade`.execute(t.kysely);
    const marketplace = JSON.stringify({
      type: "ContactCreate",
      timestamp: new Date().toISOString(),
      webhookId: "wh_jane",
      locationId: "CDR4h44AJ3Ic84nDuigS",
      id: "bxoY65VIdH7laJEOHB4Y",
      email: "jane@example.com",
      firstName: "Jane",
      lastName: "Doe",
      tags: ["toxins"],
    });
    expect((await signed(marketplace)).status).toBe(200);
    expect(await shape()).toEqual(fromWorkflow);
  });
});

describe("ghl-webhook: refusals write nothing", () => {
  it("refuses a body that does not match its signatures", async () => {
    const body = fixture("ContactCreate");
    const res = await post(body.replace("John", "Jahn"), await signer.headers(body));
    expect(res.status).toBe(401);
    expect((await res.json()).reason).toContain("does not match the body");
    await nothingWritten();
  });

  it("refuses a signature made with the other key type", async () => {
    const body = fixture("ContactCreate");
    const swapped = new Headers({ "content-type": "application/json" });
    swapped.set("X-WH-Signature", await signer.signEd25519(body));
    expect((await post(body, swapped)).status).toBe(401);
    const swappedBack = new Headers({ "content-type": "application/json" });
    swappedBack.set("X-GHL-Signature", await signer.signRsa(body));
    expect((await post(body, swappedBack)).status).toBe(401);
    await nothingWritten();
  });

  it("refuses a signature from another key pair", async () => {
    const stranger = await createGhlTestSigner();
    const body = fixture("ContactCreate");
    expect((await post(body, await stranger.headers(body))).status).toBe(401);
    await nothingWritten();
  });

  it("refuses a delivery with no signature headers (or N/A) and no secret", async () => {
    const body = fixture("ContactCreate");
    const res = await post(body, new Headers({ "content-type": "application/json" }));
    expect(res.status).toBe(401);
    expect((await res.json()).reason).toMatch(/^missing signature/);
    const na = new Headers({ "X-GHL-Signature": "N/A", "X-WH-Signature": "N/A" });
    expect((await post(body, na)).status).toBe(401);
    await nothingWritten();
  });

  it("refuses a timestamp older than the replay window", async () => {
    const res = await signed(fixture("ContactCreate", ago(4501)));
    expect(res.status).toBe(401);
    expect((await res.json()).reason).toContain("older than 4500 s");
    await nothingWritten();
  });

  it("refuses a workflow delivery with the wrong secret, and any when no secret is configured", async () => {
    const body = readFileSync("tests/fixtures/ghl/workflow.json", "utf8");
    expect((await post(body, new Headers({ "x-webhook-secret": "wrong" }))).status).toBe(401);
    expect((await post(body, new Headers(), `${URL_BASE}?secret=${WORKFLOW_SECRET}x`)).status).toBe(401);
    const unconfigured = createWebhookApp(
      ghlWebhookSource({ ...signer.pems, workflowSecret: () => undefined }),
      () => t.kysely,
    );
    const res = await unconfigured.request(
      new Request(URL_BASE, { method: "POST", headers: { "x-webhook-secret": WORKFLOW_SECRET }, body }),
    );
    expect(res.status).toBe(401);
    expect((await res.json()).reason).toContain("GHL_WORKFLOW_SECRET is not set");
    await nothingWritten();
  });

  it("refuses a signed body over 1 MiB with 413", async () => {
    const body = edited("ContactCreate", (b) => (b.companyName = ""));
    const padded = body.replace(
      '"companyName":""',
      `"companyName":"${"x".repeat(1024 * 1024 + 1 - body.length)}"`,
    );
    expect(utf8(padded).length).toBe(1024 * 1024 + 1);
    const res = await post(padded, await signer.headers(padded));
    expect(res.status).toBe(413);
    await nothingWritten();
  });

  it("answers 500 naming the variable when a configured key is of the wrong type", async () => {
    const misconfigured = createWebhookApp(
      ghlWebhookSource({ ed25519Pem: signer.pems.rsaPem }),
      () => t.kysely,
    );
    const body = fixture("ContactCreate");
    const res = await misconfigured.request(
      new Request(URL_BASE, { method: "POST", headers: await signer.headers(body), body }),
    );
    expect(res.status).toBe(500);
    expect((await res.json()).reason).toContain("GHL_ED25519_PUBLIC_KEY is not an Ed25519 public key");
    await nothingWritten();
  });

  it("answers 429 when the database is down, so HighLevel retries", async () => {
    const down = createDb("postgres://postgres@127.0.0.1:1/x", { connectTimeout: 2 });
    try {
      const offline = createWebhookApp(ghlWebhookSource(signer.pems), () => down.kysely);
      const body = fixture("ContactCreate");
      const res = await offline.request(
        new Request(URL_BASE, { method: "POST", headers: await signer.headers(body), body }),
      );
      expect(res.status).toBe(429);
    } finally {
      await down.close();
    }
    await nothingWritten();
  });
});
