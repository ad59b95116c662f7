/**
 * Load with no loss: thousands of signed Whop and HighLevel webhooks from 64 concurrent senders to
 * the real Deno server, with repeats and in shuffled order; afterwards the database equals the
 * state computed independently from the newest event per record.
 *
 * `npm test` sends RELIABILITY_LOAD_EVENTS (default 1,000 on embedded PGlite, 5,000 on a server);
 * `npm run test:soak` sends the full 5,000 on either.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";
import { makeTraffic, post, sendAll } from "../helpers/webhook-traffic.ts";
import { checkTrafficLanded } from "../helpers/traffic-check.ts";

const SECRET = "ws_load_test_secret";
const SENDERS = 64;
const embedded = !process.env.TEST_DATABASE_URL;
const TOTAL = Number(process.env.RELIABILITY_LOAD_EVENTS ?? (embedded ? 1000 : 5000));

let t: TestDatabase;
let server: DenoServer;
let signer: GhlTestSigner;

beforeAll(async () => {
  [t, signer] = await Promise.all([openTestDatabase(), createGhlTestSigner()]);
  server = await startDenoServer({
    DATABASE_URL: t.url,
    WHOP_WEBHOOK_SECRET: SECRET,
    GHL_ED25519_PUBLIC_KEY: signer.pems.ed25519Pem,
    GHL_RSA_PUBLIC_KEY: signer.pems.rsaPem,
  });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await t?.close();
});

describe("webhooks under load", () => {
  it(
    `lands ${TOTAL} mixed signed deliveries from ${SENDERS} senders, 10% repeated, shuffled, with none lost`,
    async () => {
      const traffic = makeTraffic({ total: TOTAL, whopSecret: SECRET, ghl: signer, seed: 20261125 });
      const started = performance.now();
      const answers = await sendAll(traffic.deliveries, SENDERS, (d) => post(server.base, d));
      const seconds = (performance.now() - started) / 1000;

      // A provider retries whatever was not answered 2xx; count it, then retry as it would.
      const refused = answers.flatMap((a, i) => (a.status >= 200 && a.status < 300 ? [] : [i]));
      for (const i of refused) {
        const again = await post(server.base, traffic.deliveries[i]);
        expect(again.status, again.body).toBe(200);
      }
      expect(refused.length, "answers that were not 2xx on a healthy database").toBe(0);
      const statuses = answers.map((a) => JSON.parse(a.body).status as string);
      const duplicates = statuses.filter((s) => s === "duplicate").length;
      expect(duplicates).toBe(traffic.duplicates);
      expect(statuses.filter((s) => s !== "duplicate" && s !== "stored")).toEqual([]);

      const landed = await checkTrafficLanded(t.kysely, traffic.unique);
      expect(server.process.exitCode).toBeNull();
      console.log(
        `[reliability] load (${embedded ? "PGlite" : "server"}): sent ${TOTAL} from ${SENDERS} senders in ` +
          `${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s), accepted ${
            answers.length - refused.length
          }, ` +
          `duplicates absorbed ${duplicates}, stored ${landed.stored}, records ${landed.rows}, ` +
          `people ${landed.people}, lost ${landed.lost}`,
      );
    },
    180_000,
  );
});
