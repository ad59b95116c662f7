/**
 * Hostile bodies through the webhook apps, validly signed (as a compromised or buggy sender could
 * send them): every one is stored in webhook_events (nothing a provider signed is lost) and then
 * processed, ignored, or failed with a one-line error; no answer is a 500 or carries a stack
 * trace. Names with SQL or spreadsheet formulas are stored verbatim, never executed; emails keep
 * their +tags and look-alike letters; hostile amounts are refused, not rounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import type { Hono } from "hono";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { createWebhookApp, type WebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { whopWebhookSource } from "../../shared/sources/whop/webhook-source.ts";
import { ghlWebhookSource } from "../../shared/sources/ghl/webhook-source.ts";
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";
import { fromBase64 } from "../../shared/crypto/encoding.ts";
import { MAX_BODY_BYTES } from "../../shared/http/read-body.ts";
import { canonical } from "../helpers/traffic-check.ts";

const SECRET = "ws_hostile_webhook_secret";
const WORKFLOW_SECRET = "wf_hostile_workflow_secret";
const HOSTILE = "tests/fixtures/hostile";
const strings = JSON.parse(readFileSync(`${HOSTILE}/strings.json`, "utf8")) as {
  names: string[];
  emails: { sent: string; stored: string | null }[];
  amounts: string[];
};
const corpus = readdirSync(`${HOSTILE}/bodies`).sort().map((name) => ({
  name,
  bytes: new Uint8Array(
    Buffer.from(
      readFileSync(`${HOSTILE}/bodies/${name}`).toString("latin1").replaceAll(
        "__NOW__",
        new Date().toISOString(),
      ),
      "latin1",
    ),
  ),
}));
const payment = JSON.parse(readFileSync("tests/fixtures/whop/payment.succeeded.json", "utf8"));

let t: TestDatabase;
let whop: Hono;
let ghl: Hono;
let signer: GhlTestSigner;
const figures = { sent: 0, stored: 0, processed: 0, failed: 0, ignored: 0, refused: 0 };

beforeAll(async () => {
  [t, signer] = await Promise.all([openTestDatabase(), createGhlTestSigner()]);
  whop = createWebhookApp(whopWebhookSource({ secret: () => SECRET }), () => t.kysely);
  ghl = createWebhookApp(
    ghlWebhookSource({ ...signer.pems, workflowSecret: () => WORKFLOW_SECRET }),
    () => t.kysely,
  );
});
afterAll(async () => {
  console.log(
    `[reliability] hostile webhooks: ${figures.sent} signed hostile deliveries, ${figures.stored} stored ` +
      `(${figures.processed} processed, ${figures.ignored} ignored, ${figures.failed} failed with a one-line error), ` +
      `${figures.refused} refused as documented (401/413), 0 answers 500, lost 0`,
  );
  await t?.close();
});

type Answer = { status: number; json: Record<string, unknown>; headers: Headers };

async function send(
  app: Hono,
  body: Uint8Array,
  headers: Record<string, string>,
  path = "/",
): Promise<Answer> {
  figures.sent++;
  const res = await app.request(new Request(`http://local${path}`, { method: "POST", headers, body }));
  await (app as WebhookApp).drain.idle(); // processing comes after the answer
  const text = await res.text();
  expect(res.status, text).not.toBe(500);
  // No stack trace: no "    at file:line:col" frame and no "TypeError: ..." dump.
  expect(text).not.toMatch(/\bat .*:\d+:\d+|\b[A-Z]\w*Error: /);
  expect(res.headers.get("content-type")).toContain("application/json");
  return { status: res.status, json: JSON.parse(text), headers: res.headers };
}

const whopHeaders = async (id: string, body: Uint8Array, contentType = "application/json") => ({
  "content-type": contentType,
  ...(await signStandardWebhook({ id, timestamp: new Date(), body, secret: SECRET })),
});

/** Checks the delivery answered `answer` is stored with its bytes recoverable and a final status. */
async function expectStored(source: string, answer: Answer, bytes: Uint8Array) {
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  const id = String(answer.json.id).replaceAll("\u0000", "\uFFFD").slice(0, 500);
  const row = await t.kysely.selectFrom("webhook_events").selectAll()
    .where("source", "=", source).where("event_id", "=", id).executeTakeFirst();
  expect(row, `${source} ${id} stored`).toBeDefined();
  figures.stored++;
  expect(["processed", "ignored", "failed"]).toContain(row!.status);
  figures[row!.status as "processed" | "ignored" | "failed"]++;
  if (row!.status === "failed") {
    expect(row!.error).toBeTruthy();
    expect(row!.error).not.toContain("\n");
    // The answer came before processing: it says stored, and the reason lives on the row.
    expect(answer.json.status).toBe("stored");
  }
  // Nothing signed is lost: the exact bytes, or the exact JSON, can be read back.
  const payload = row!.payload as Record<string, unknown>;
  const valid = isUtf8(bytes);
  if (payload && typeof payload === "object" && "unparsed_base64" in payload) {
    expect(fromBase64(String(payload.unparsed_base64))).toEqual(bytes);
  } else if (
    payload && typeof payload === "object" && "unparsed" in payload && Object.keys(payload).length === 1
  ) {
    expect(valid, "a body kept as text must have been valid UTF-8").toBe(true);
    expect(payload.unparsed).toBe(new TextDecoder().decode(bytes));
  } else {
    expect(valid, "a body kept as JSON must have been valid UTF-8").toBe(true);
    // Compared as JSON text: jsonb keeps -0 as 0, as JSON itself has no negative zero.
    expect(canonical(payload)).toBe(
      canonical(JSON.parse(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ""))),
    );
  }
  return row!;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe("hostile bodies, validly signed, through the webhook apps", () => {
  for (const { name, bytes } of corpus) {
    it(`stores ${name} from Whop, HighLevel and a workflow, and answers without a 500`, async () => {
      await expectStored(
        "WHOP",
        await send(whop, bytes, await whopHeaders(`msg_hostile_${name}`, bytes)),
        bytes,
      );
      const marketplace = await send(
        ghl,
        bytes,
        Object.fromEntries(await signer.headers(bytes, { ed25519: true })),
      );
      if (marketplace.status === 401) {
        // A signed HighLevel body older than the replay window is refused, as documented.
        expect(marketplace.json.reason).toMatch(/^timestamp .* is older than 4500 s$/);
        figures.refused++;
      } else {
        await expectStored("GHL", marketplace, bytes);
      }
      await expectStored("GHL", await send(ghl, bytes, { "x-webhook-secret": WORKFLOW_SECRET }), bytes);
    });
  }

  it("refuses the same bodies unsigned, tampered or signed with another secret, storing nothing", async () => {
    const before = await t.kysely.selectFrom("webhook_events").select(({ fn }) =>
      fn.countAll<number>().as("n")
    )
      .executeTakeFirstOrThrow();
    for (const { name, bytes } of corpus) {
      const tampered = bytes.length
        ? Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b))
        : new Uint8Array([1]);
      const answers = [
        await send(whop, bytes, { "content-type": "application/json" }),
        await send(whop, tampered, await whopHeaders(`msg_tampered_${name}`, bytes)),
        await send(whop, bytes, {
          ...(await signStandardWebhook({
            id: "msg_other",
            timestamp: new Date(),
            body: bytes,
            secret: "ws_other",
          })),
        }),
        await send(ghl, tampered, Object.fromEntries(await signer.headers(bytes))),
        await send(ghl, bytes, { "x-webhook-secret": `${WORKFLOW_SECRET}x` }),
        await send(ghl, bytes, {}, `/?secret=${encodeURIComponent(WORKFLOW_SECRET.toUpperCase())}`),
      ];
      for (const a of answers) expect(a.status, `${name}: ${JSON.stringify(a.json)}`).toBe(401);
      figures.refused += answers.length;
    }
    const after = await t.kysely.selectFrom("webhook_events").select(({ fn }) =>
      fn.countAll<number>().as("n")
    )
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("answers 413 to 1 MiB + 1 byte and stores nothing, and stores a signed body of exactly 1 MiB", async () => {
    const padded = (size: number) => {
      const head = JSON.stringify({
        ...payment,
        id: `msg_size_${size}`,
        data: { ...payment.data, id: `pay_size_${size}`, pad: "" },
      });
      return new TextEncoder().encode(head.replace('"pad":""', `"pad":"${"x".repeat(size - head.length)}"`));
    };
    const over = padded(MAX_BODY_BYTES + 1);
    expect(over.length).toBe(MAX_BODY_BYTES + 1);
    const big = await send(whop, over, await whopHeaders("msg_size_over", over));
    expect(big.status).toBe(413);
    const bigGhl = await send(ghl, over, Object.fromEntries(await signer.headers(over, { ed25519: true })));
    expect(bigGhl.status).toBe(413);
    figures.refused += 2;
    expect(
      await t.kysely.selectFrom("webhook_events").select("id").where("event_id", "=", "msg_size_over")
        .execute(),
    )
      .toEqual([]);
    const exact = padded(MAX_BODY_BYTES);
    const row = await expectStored(
      "WHOP",
      await send(whop, exact, await whopHeaders("msg_size_exact", exact)),
      exact,
    );
    expect(row.status).toBe("processed");
  });

  it("takes a signed JSON body whatever its content type says", async () => {
    for (
      const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
      ]
    ) {
      const body = new TextEncoder().encode(
        JSON.stringify({ ...payment, data: { ...payment.data, id: `pay_ct_${type}` } }),
      );
      const row = await expectStored(
        "WHOP",
        await send(whop, body, await whopHeaders(`msg_ct_${type}`, body, type)),
        body,
      );
      expect(row.status).toBe("processed");
    }
  });

  it("stores delivery ids full of SQL and injection text verbatim, and reflects no header", async () => {
    for (
      const id of ["msg_'; drop table webhook_events; --", "msg_%0d%0aX-Injected:%20yes", "msg_$(reboot)`id`"]
    ) {
      const body = new TextEncoder().encode(
        JSON.stringify({ ...payment, id, data: { ...payment.data, id: `pay_${id}` } }),
      );
      const answer = await send(whop, body, await whopHeaders(id, body));
      expect(answer.headers.get("x-injected")).toBeNull();
      const row = await expectStored("WHOP", answer, body);
      expect(row.event_id).toBe(id);
    }
    // Headers cannot carry a line break at all: the client refuses before anything is sent.
    expect(() => new Headers({ "webhook-id": "msg_1\r\nX-Injected: yes" })).toThrow(TypeError);
  });
});

describe("hostile values inside valid events", () => {
  it("stores names with SQL and spreadsheet formulas verbatim, in the row, the raw object and the person", async () => {
    for (const [i, name] of strings.names.entries()) {
      const email = `name${i}@hostile.example.com`;
      const data = {
        ...payment.data,
        id: `pay_name_${i}`,
        user: { id: `user_n${i}`, email, name, username: null },
      };
      const body = new TextEncoder().encode(JSON.stringify({ ...payment, id: `msg_name_${i}`, data }));
      const row = await expectStored(
        "WHOP",
        await send(whop, body, await whopHeaders(`msg_name_${i}`, body)),
        body,
      );
      expect(row.status, row.error ?? "").toBe("processed");
      const stored = await t.kysely.selectFrom("whop_data").innerJoin(
        "users",
        "users.id",
        "whop_data.user_id",
      )
        .select([
          "whop_data.name as rowName",
          "whop_data.raw_data",
          "users.name as personName",
          "users.email",
        ])
        .where("external_whop_id", "=", `pay_name_${i}`).executeTakeFirstOrThrow();
      expect((stored.raw_data as { user: { name: string } }).user.name).toBe(name);
      expect(stored.rowName).toBe(name.trim());
      expect(stored.personName).toBe(name.trim());
      expect(stored.email).toBe(email);
    }
    // The SQL did not run: every table is still there and still holds its rows.
    const counts = await t.sql<{ n: number }[]>`select count(*)::int as n from users`;
    expect(counts[0].n).toBeGreaterThanOrEqual(strings.names.length);
  });

  it("keeps +tags and look-alike letters as different people, folds only case and spaces", async () => {
    for (const [i, { sent, stored }] of strings.emails.entries()) {
      const data = {
        ...payment.data,
        id: `pay_email_${i}`,
        user: { id: `user_e${i}`, email: sent, name: `E ${i}` },
      };
      const body = new TextEncoder().encode(JSON.stringify({ ...payment, id: `msg_email_${i}`, data }));
      const row = await expectStored(
        "WHOP",
        await send(whop, body, await whopHeaders(`msg_email_${i}`, body)),
        body,
      );
      const record = await t.kysely.selectFrom("whop_data").leftJoin("users", "users.id", "whop_data.user_id")
        .select(["users.email", "whop_data.raw_data"]).where("external_whop_id", "=", `pay_email_${i}`)
        .executeTakeFirst();
      if (sent.includes("\u0000")) {
        // jsonb cannot hold NUL: the record is refused whole, and the delivery stays for replay.
        expect(row.status).toBe("failed");
        expect(record).toBeUndefined();
        continue;
      }
      expect(row.status, row.error ?? "").toBe("processed");
      expect(record?.email ?? null, sent).toBe(stored);
      expect((record!.raw_data as { user: { email: string } }).user.email).toBe(sent);
    }
    const people = await t.kysely.selectFrom("users").select("email")
      .where("email", "in", strings.emails.flatMap((e) => (e.stored ? [e.stored] : []))).execute();
    expect(people.length).toBe(new Set(strings.emails.flatMap((e) => (e.stored ? [e.stored] : []))).size);
  });

  it("stores an amount as its exact decimal or fails the event with one line, never a float or a crash", async () => {
    // 1e999999999 has no finite value in JSON (it parses to Infinity): the record keeps no amount
    // rather than a made-up one, and the exact bytes stay in webhook_events.
    // A negative total is refused (README, "Revenue"), like any value that is no amount.
    const expected: Record<string, string | null> = { "-0": "0", "1e-400": "0", "1e999999999": null };
    for (const [i, literal] of strings.amounts.entries()) {
      const text = JSON.stringify({
        ...payment,
        id: `msg_amount_${i}`,
        data: { ...payment.data, id: `pay_amount_${i}`, total: "@" },
      })
        .replace('"total":"@"', `"total":${literal}`);
      const body = new TextEncoder().encode(text);
      const row = await expectStored(
        "WHOP",
        await send(whop, body, await whopHeaders(`msg_amount_${i}`, body)),
        body,
      );
      const stored = await t.kysely.selectFrom("whop_data").select("amount")
        .where("external_whop_id", "=", `pay_amount_${i}`).executeTakeFirst();
      if (literal in expected) {
        expect(row.status, `${literal}: ${row.error}`).toBe("processed");
        expect(stored!.amount === null ? null : String(stored!.amount)).toBe(expected[literal]);
      } else {
        expect(row.status, `${literal} must not be stored as an amount`).toBe("failed");
        expect(stored).toBeUndefined();
      }
    }
  });
});
