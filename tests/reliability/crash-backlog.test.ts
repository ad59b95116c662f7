/**
 * Crash between the answer and processing: the real Deno server answers 5,000 deliveries, is
 * killed with SIGKILL before it has processed any of them, and is started again. Nobody sends
 * anything again (a provider that got its 2xx never will); the restarted server drains what the
 * dead one stored and left, and every delivery is applied.
 *
 * Processing is held back by a lock on the source tables, as a slow database would hold it: the
 * server stores and answers (webhook_events is not locked), claims, and waits to write the rows.
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
import { untilProcessed } from "../helpers/outcome.ts";

const SECRET = "ws_crash_backlog_secret";
const embedded = !process.env.TEST_DATABASE_URL;
const TOTAL = Number(process.env.RELIABILITY_CRASH_EVENTS ?? (embedded ? 1000 : 5000));

let t: TestDatabase;
let signer: GhlTestSigner;
let server: DenoServer | null = null;

beforeAll(async () => {
  [t, signer] = await Promise.all([openTestDatabase(), createGhlTestSigner()]);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await t?.close();
});

const start = () =>
  startDenoServer({
    DATABASE_URL: t.url,
    WHOP_WEBHOOK_SECRET: SECRET,
    GHL_ED25519_PUBLIC_KEY: signer.pems.ed25519Pem,
    GHL_RSA_PUBLIC_KEY: signer.pems.rsaPem,
  });

const count = async (query: string) => Number((await t.sql.unsafe<{ n: string }[]>(query))[0].n);

describe("a server killed after answering, before processing", () => {
  it.skipIf(embedded)(
    `applies all ${TOTAL} answered deliveries after a restart, with nothing resent`,
    async () => {
      const traffic = makeTraffic({
        total: TOTAL,
        duplicateShare: 0,
        whopSecret: SECRET,
        ghl: signer,
        seed: 5000,
        prefix: "backlog",
      });
      const lock = await t.sql.reserve();
      let killed: DenoServer;
      try {
        await lock`begin`;
        await lock`lock table whop_data, ghl_data in exclusive mode`;
        server = killed = await start();
        const answers = await sendAll(traffic.deliveries, 32, (d) => post(killed.base, d));
        const refused = answers.filter((a) => a.status !== 200);
        expect(refused.slice(0, 3), "every delivery answered 200").toEqual([]);
        expect(new Set(answers.map((a) => JSON.parse(a.body).status))).toEqual(new Set(["stored"]));
        // All stored and committed; none applied.
        expect(await count("select count(*) as n from webhook_events")).toBe(TOTAL);
        expect(await count("select count(*) as n from webhook_events where status = 'pending'")).toBe(TOTAL);
        expect(await count("select count(*) as n from whop_data")).toBe(0);
        expect(await count("select count(*) as n from ghl_data")).toBe(0);
        await killed.stop("SIGKILL");
        expect(killed.process.signalCode).toBe("SIGKILL");
      } finally {
        await lock`rollback`.catch(() => {});
        lock.release();
      }
      expect(await count("select count(*) as n from webhook_events where status = 'pending'"))
        .toBeGreaterThan(0);

      const started = performance.now();
      server = await start();
      await untilProcessed(t.kysely, 120_000);
      const seconds = (performance.now() - started) / 1000;
      const landed = await checkTrafficLanded(t.kysely, traffic.unique);
      expect(landed.lost).toBe(0);
      console.log(
        `[reliability] crash before processing (server): ${TOTAL} deliveries answered 200 and stored, 0 applied, ` +
          `SIGKILL; the restarted server applied all ${landed.stored} in ${
            seconds.toFixed(1)
          } s with nothing resent ` +
          `(${landed.rows} records, ${landed.people} people), lost ${landed.lost}`,
      );
    },
    240_000,
  );
});
