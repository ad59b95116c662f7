/**
 * Secrets and error answers, through the real Deno server: with every secret configured and every
 * kind of failure provoked (bad and missing signatures, wrong cron and workflow secrets, deliveries
 * that fail processing, Whop and HighLevel refusing the backfill's credentials, a sheet that
 * answers a sign-in page), no secret value appears in the server's output, in any answer, in
 * webhook_events, sync_logs or sync_checkpoints; and no error answer carries a stack trace.
 * Database privileges of the public roles are checked in tests/db/security.test.ts and in pgTAP
 * (supabase/tests/access.sql).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { untilProcessed } from "../helpers/outcome.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { startWhopApiDouble, type WhopApiDouble, whopPaymentObject } from "../helpers/whop-api-double.ts";
import { type GhlApiDouble, makeContacts, startGhlApiDouble } from "../helpers/ghl-api-double.ts";
import { type CsvServer, startCsvServer } from "../helpers/csv-server.ts";
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import { saveSheetSource } from "../../shared/sources/sheets/sheet-sources.ts";

const SECRETS = {
  WHOP_WEBHOOK_SECRET: "ws_SECRETwhop5f3a9c1e",
  GHL_WORKFLOW_SECRET: "wf_SECRETghl7b2d4e6f",
  CRON_SECRET: "cron_SECRET8c1d3e5f",
  WHOP_API_KEY: "whopkey_SECRET2a4c6e8f",
  GHL_API_TOKEN: "pit-SECRET-9d8c7b6a",
  GOOGLE_API_KEY: "AIzaSECRET1f2e3d4c",
};
const DB_PASSWORD = "dbpwSECRET6b5a4c3d";
let t: TestDatabase;
let server: DenoServer;
let whop: WhopApiDouble;
let ghl: GhlApiDouble;
let csv: CsvServer;
const answers: { what: string; status: number; body: string }[] = [];

beforeAll(async () => {
  [t, whop, ghl, csv] = await Promise.all([
    openTestDatabase(),
    // The doubles expect other credentials than the ones configured: every backfill is refused.
    startWhopApiDouble({ apiKey: "whop_key_the_server_does_not_have" }),
    startGhlApiDouble({
      token: "pit-the-server-does-not-have",
      locationId: "locSecrets",
      contacts: makeContacts(5, "locSecrets"),
    }),
    startCsvServer(),
  ]);
  whop.objects.payments = [whopPaymentObject(1)];
  const url = new URL(t.url);
  url.password = DB_PASSWORD; // trust auth (and PGlite) ignore it; it must still never be printed
  server = await startDenoServer({
    ...SECRETS,
    DATABASE_URL: url.toString(),
    WHOP_API_BASE: whop.base,
    WHOP_COMPANY_ID: "biz_secrets",
    GHL_API_BASE: ghl.url,
    GHL_LOCATION_ID: "locSecrets",
  });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await Promise.all([whop?.stop(), ghl?.close(), csv?.close()]);
  await t?.close();
});

async function call(what: string, fn: string, init: RequestInit & { path?: string } = {}) {
  const res = await fetch(`${server.base}/${fn}${init.path ?? ""}`, { method: "POST", ...init });
  const body = await res.text();
  answers.push({ what, status: res.status, body });
  return { status: res.status, body };
}

describe("secrets never leak, errors carry no stack trace", () => {
  it("provokes every kind of failure, then finds no secret anywhere", async () => {
    await provoke();
  }, 60_000);
});
const statusOf = async (eventId: string) =>
  (await t.kysely.selectFrom("webhook_events").select("status").where("event_id", "=", eventId)
    .executeTakeFirstOrThrow()).status;

/** Provokes the failures, then searches every place a secret could leak to. */
async function provoke() {
  {
    const payment = readFileSync("tests/fixtures/whop/payment.succeeded.json", "utf8");
    const signed = async (body: string, secret: string, id = `msg_secrets_${answers.length}`) => ({
      "content-type": "application/json",
      ...(await signStandardWebhook({ id, timestamp: new Date(), body, secret })),
    });
    expect((await call("whop unsigned", "whop-webhook", { body: payment })).status).toBe(401);
    expect(
      (await call("whop wrong secret", "whop-webhook", {
        body: payment,
        headers: await signed(payment, "ws_wrong"),
      })).status,
    )
      .toBe(401);
    expect(
      (await call("whop tampered", "whop-webhook", {
        body: payment.replace("49", "50"),
        headers: await signed(payment, SECRETS.WHOP_WEBHOOK_SECRET),
      })).status,
    ).toBe(401);
    const broken = JSON.stringify({ type: "payment.succeeded", id: "msg_broken", data: { total: "lots" } });
    const failed = await call("whop failing payload", "whop-webhook", {
      body: broken,
      headers: await signed(broken, SECRETS.WHOP_WEBHOOK_SECRET),
    });
    expect(JSON.parse(failed.body)).toMatchObject({ status: "stored" });
    const ok = await call("whop good", "whop-webhook", {
      body: payment,
      headers: await signed(payment, SECRETS.WHOP_WEBHOOK_SECRET),
    });
    expect(JSON.parse(ok.body)).toMatchObject({ status: "stored" });
    await untilProcessed(t.kysely); // processing, and its failures, come after the answers
    expect(await statusOf(JSON.parse(failed.body).id)).toBe("failed");
    expect(await statusOf(JSON.parse(ok.body).id)).toBe("processed");

    const workflow = readFileSync("tests/fixtures/ghl/workflow.json", "utf8");
    expect(
      (await call("ghl wrong workflow secret", "ghl-webhook", {
        body: workflow,
        headers: { "x-webhook-secret": `${SECRETS.GHL_WORKFLOW_SECRET}x` },
      })).status,
    )
      .toBe(401);
    expect(
      (await call("ghl workflow secret in query, wrong", "ghl-webhook", {
        body: workflow,
        path: "?secret=nope",
      })).status,
    ).toBe(401);
    expect(
      (await call("ghl bad signature", "ghl-webhook", {
        body: workflow,
        headers: { "X-GHL-Signature": "AAAA" },
      })).status,
    ).toBe(401);
    const bad = JSON.stringify({ contact_id: "c1", email: "x@example.com" }); // no location: fails processing
    const ghlFailed = await call("ghl failing payload", "ghl-webhook", {
      body: bad,
      headers: { "x-webhook-secret": SECRETS.GHL_WORKFLOW_SECRET },
    });
    expect(JSON.parse(ghlFailed.body)).toMatchObject({ status: "stored" });
    await untilProcessed(t.kysely);
    expect(await statusOf(JSON.parse(ghlFailed.body).id)).toBe("failed");

    const cron = { authorization: `Bearer ${SECRETS.CRON_SECRET}`, "content-type": "application/json" };
    for (const fn of ["whop-backfill", "ghl-backfill", "sheets-pull"]) {
      expect((await call(`${fn} without bearer`, fn, { body: "{}" })).status).toBe(401);
      expect(
        (await call(`${fn} wrong bearer`, fn, { body: "{}", headers: { authorization: "Bearer nope" } }))
          .status,
      ).toBe(401);
    }
    expect(
      (await call("whop backfill refused upstream", "whop-backfill", {
        body: JSON.stringify({ full: true }),
        headers: cron,
      })).status,
    )
      .toBeGreaterThanOrEqual(400);
    expect(
      (await call("ghl backfill refused upstream", "ghl-backfill", {
        body: JSON.stringify({ full: true }),
        headers: cron,
      })).status,
    )
      .toBeGreaterThanOrEqual(400);
    csv.set("locked", { kind: "login" });
    await saveSheetSource(t.kysely, { name: "locked", url: csv.exportUrl("locked") });
    const sheet = await call("sheet answering a sign-in page", "sheets-pull", {
      body: JSON.stringify({ source: "locked" }),
      headers: cron,
    });
    expect(sheet.body).toMatch(/FAILED/);

    // The operator's record of all this: failures are there, secrets are not.
    const stored = JSON.stringify(
      await t.sql`
      select (select json_agg(json_build_object('error', error, 'event_id', event_id)) from webhook_events) as events,
             (select json_agg(json_build_object('m', error_message, 'e', errors)) from sync_logs) as logs,
             (select json_agg(state) from sync_checkpoints) as checkpoints`,
    );
    expect(stored).toMatch(/failed|FAILED|refused|401|not/i);
    await new Promise((r) => setTimeout(r, 200)); // let the server flush its logs
    const places = { "server output": server.output(), answers: JSON.stringify(answers), database: stored };
    const leaks: string[] = [];
    for (const [place, text] of Object.entries(places)) {
      for (const [name, value] of [...Object.entries(SECRETS), ["DATABASE_URL password", DB_PASSWORD]]) {
        if (text.includes(value)) leaks.push(`${name} in ${place}`);
      }
    }
    expect(leaks).toEqual([]);

    const errors = answers.filter((a) => a.status >= 400);
    for (const a of errors) {
      expect(a.body, a.what).not.toMatch(/\bat .*:\d+:\d+|\b[A-Z]\w*Error: |node_modules|file:\/\//);
      const json = JSON.parse(a.body);
      // `{ error, reason }` from errorResponse; ghl-backfill answers `{ status: "failed", reason }`.
      expect(typeof (json.error ?? json.reason), a.what).toBe("string");
      expect(String(json.reason ?? ""), a.what).not.toContain("\n");
    }
    expect(server.output()).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(server.process.exitCode).toBeNull();
    console.log(
      `[reliability] secrets: ${answers.length} requests (${errors.length} refused or failed), ` +
        `${
          Object.keys(SECRETS).length + 1
        } secret values searched in server output, answers, webhook_events, ` +
        `sync_logs and sync_checkpoints: 0 found; 0 stack traces`,
    );
  }
}
