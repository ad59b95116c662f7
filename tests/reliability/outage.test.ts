/**
 * Database outage: the real Deno server reaches Postgres through a TCP proxy, which the test takes
 * away (connections reset, new ones refused) and gives back. While the database is gone the server
 * keeps serving, Whop deliveries answer 503 and HighLevel ones 429 (the statuses each provider
 * retries), nothing crashes or leaks connections, and once it is back the providers' retries land
 * every event exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";
import { makeTraffic, post, sendAll, type TrafficDelivery } from "../helpers/webhook-traffic.ts";
import { checkTrafficLanded } from "../helpers/traffic-check.ts";

const SECRET = "ws_outage_test_secret";
/** Pool of the functions (DB_POOL_MAX) plus the start script's own migration pool. */
const POOL = 4;
const START_POOL = 2;
/** The functions this test sends to; under the Edge profile each is a process with its own pool. */
const FUNCTIONS = 2;
/**
 * Connections the server may hold right after an outage: each function process's pool and a pool
 * it replaced because it stopped answering, whose last connections close at the idle timeout (20 s;
 * the soak run waits for that and checks they all go), and the start script's own pool.
 */
const LIMIT = FUNCTIONS * 2 * POOL + START_POOL;
const APP = "reliability-outage-server";

let t: TestDatabase;
let server: DenoServer;
let proxy: TcpProxy;
let signer: GhlTestSigner;

beforeAll(async () => {
  [t, signer] = await Promise.all([openTestDatabase(), createGhlTestSigner()]);
  proxy = await startTcpProxy(t.url);
  server = await startDenoServer({
    // Named, so its backends can be told from the test's own in pg_stat_activity.
    DATABASE_URL: `${proxy.route(t.url)}?application_name=${APP}`,
    DB_POOL_MAX: String(POOL),
    // Answer the retry status after 3 s without the database (production default: 10 s).
    WEBHOOK_DB_DEADLINE_MS: "3000",
    WHOP_WEBHOOK_SECRET: SECRET,
    GHL_ED25519_PUBLIC_KEY: signer.pems.ed25519Pem,
    GHL_RSA_PUBLIC_KEY: signer.pems.rsaPem,
  });
}, 60_000);
afterAll(async () => {
  if (server && server.process.exitCode !== null) {
    console.error(`server exited: ${server.output().slice(-4000)}`);
  }
  await server?.stop();
  await proxy?.close();
  await t?.close();
});

const retryStatus = (d: TrafficDelivery) => (d.source === "WHOP" ? 503 : 429);
let firstTraffic: TrafficDelivery[] = [];
const figures = { sent: 0, refusedDuringOutage: 0, retried: 0, outages: 0, noAnswer: 0 };

/**
 * Sends as a provider does: until the answer is 2xx, retrying after `pause` ms. A connection the
 * server closed without an answer (a keep-alive race under load) is retried too, and counted.
 */
async function deliverWithRetries(d: TrafficDelivery, pause = 200, attempts = 60) {
  for (let i = 0; i < attempts; i++) {
    figures.sent++;
    const answer = await post(server.base, d).catch((error) => {
      figures.noAnswer++;
      return { status: 0, body: String(error) };
    });
    if (answer.status === 0) continue;
    if (answer.status >= 200 && answer.status < 300) return answer;
    expect(answer.status, answer.body).toBe(retryStatus(d));
    figures.retried++;
    await new Promise((r) => setTimeout(r, pause));
  }
  throw new Error(`${d.eventId} was never accepted`);
}

/** Backends the server holds on the test database (server mode only: PGlite has one session). */
async function serverBackends(): Promise<number> {
  const [row] = await t.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and application_name = ${APP}`;
  return row.n;
}

function expectBoundedConnections() {
  expect(proxy.active(), "connections through the proxy").toBeLessThanOrEqual(LIMIT);
}

/** Waits for `check` to hold (connection counts settle as pools notice closed sockets). */
async function settle(check: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return await check();
}

function noStackTraces(text: string) {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(text).not.toMatch(/Uncaught|unhandled rejection|panicked/i);
}

describe("a database outage under the running server", () => {
  it(
    "answers 503 (Whop) and 429 (HighLevel) while Postgres is unreachable, and lands every retry once it is back",
    async () => {
      const traffic = makeTraffic({
        total: 80,
        duplicateShare: 0,
        whopSecret: SECRET,
        ghl: signer,
        seed: 11,
        prefix: "outA",
      });
      firstTraffic = traffic.unique;
      const before = traffic.unique.slice(0, 40);
      const during = traffic.unique.slice(40);

      // Healthy: the first deliveries land.
      for (const answer of await sendAll(before, 8, (d) => post(server.base, d))) {
        expect(answer.status).toBe(200);
      }
      figures.sent += before.length;
      // The server's own backends are visible by name (so the leak check below counts them).
      if (t.server) expect(await serverBackends()).toBeGreaterThan(0);

      await proxy.refuse();
      figures.outages++;
      const answers = await sendAll(during, 16, (d) => post(server.base, d));
      figures.sent += during.length;
      figures.refusedDuringOutage += answers.length;
      const wrong = answers.flatMap((
        a,
        i,
      ) => (a.status === retryStatus(during[i]) ? [] : [`${a.status} ${a.body}`]));
      expect(wrong).toEqual([]);
      for (const a of answers) {
        expect(JSON.parse(a.body)).toEqual({
          error: "unavailable",
          reason: "the database cannot take deliveries now; retry",
        });
      }
      // The server still serves: a request that needs no database answers as usual.
      expect((await fetch(`${server.base}/whop-webhook`, { method: "POST", body: "{}" })).status).toBe(401);
      expect(server.process.exitCode).toBeNull();

      await proxy.restore();
      // Providers retry what was refused (and, now and then, what was already accepted).
      await sendAll([...during, ...before.slice(0, 10)], 16, (d) => deliverWithRetries(d));

      const landed = await checkTrafficLanded(t.kysely, traffic.unique);
      expect(landed.lost).toBe(0);
      expectBoundedConnections();
      if (t.server) expect(await settle(async () => (await serverBackends()) <= LIMIT)).toBe(true);
      noStackTraces(server.output());
    },
    120_000,
  );

  it(
    "survives the database vanishing in the middle of a burst: every delivery lands once after retries",
    async () => {
      const traffic = makeTraffic({
        total: 200,
        duplicateShare: 0.1,
        whopSecret: SECRET,
        ghl: signer,
        seed: 12,
        prefix: "outB",
      });
      // Cut the connection a moment into the burst, and give it back a moment later.
      const outage = (async () => {
        await new Promise((r) => setTimeout(r, 150));
        await proxy.refuse();
        figures.outages++;
        await new Promise((r) => setTimeout(r, 700));
        await proxy.restore();
      })();
      const answers = await sendAll(traffic.deliveries, 32, (d) => deliverWithRetries(d));
      await outage;
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(server.process.exitCode).toBeNull();

      const landed = await checkTrafficLanded(t.kysely, [...firstTraffic, ...traffic.unique]);
      expect(landed.lost).toBe(0);
      expectBoundedConnections();
      if (t.server) expect(await settle(async () => (await serverBackends()) <= LIMIT)).toBe(true);
      noStackTraces(server.output());
      console.log(
        `[reliability] outage (${t.server ? "server" : "PGlite"}): ${figures.outages} outages survived, ` +
          `${figures.sent} requests sent, ${figures.refusedDuringOutage} refused while down ` +
          `(503 Whop / 429 HighLevel), ${figures.retried} retried, ${figures.noAnswer} connections closed unanswered ` +
          `and retried, lost ${landed.lost}`,
      );
    },
    120_000,
  );
});
