/**
 * Soak: ten database outages in a row under steady webhook traffic, each a few seconds long, some
 * refusing connections and some stalling them (a network partition, where only timeouts help).
 * Every event lands exactly once, the server never exits, and once traffic stops every connection
 * beyond the pools closes (idle timeout 20 s): nothing leaks, however many outages it rode out.
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

const SECRET = "ws_soak_outage_secret";
const POOL = 4;
const START_POOL = 2;
const CYCLES = 10;
let t: TestDatabase;
let server: DenoServer;
let proxy: TcpProxy;
let signer: GhlTestSigner;

beforeAll(async () => {
  [t, signer] = await Promise.all([openTestDatabase(), createGhlTestSigner()]);
  proxy = await startTcpProxy(t.url);
  server = await startDenoServer({
    DATABASE_URL: proxy.route(t.url),
    DB_POOL_MAX: String(POOL),
    WEBHOOK_DB_DEADLINE_MS: "3000",
    WHOP_WEBHOOK_SECRET: SECRET,
    GHL_ED25519_PUBLIC_KEY: signer.pems.ed25519Pem,
    GHL_RSA_PUBLIC_KEY: signer.pems.rsaPem,
  });
}, 60_000);
afterAll(async () => {
  if (server && server.process.exitCode !== null) {
    console.error(`the server exited (${server.process.exitCode}):\n${server.output().slice(-3000)}`);
  }
  await server?.stop();
  await proxy?.close();
  await t?.close();
});

describe("soak: repeated outages", () => {
  it(`rides out ${CYCLES} outages with nothing lost and no connection leaked`, async () => {
    const traffic = makeTraffic({ total: 3000, whopSecret: SECRET, ghl: signer, seed: 99, prefix: "soak" });
    let sent = 0;
    let refused = 0;
    let unanswered = 0;
    const deliver = async (d: TrafficDelivery) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        sent++;
        const answer = await post(server.base, d).catch(() => ({ status: 0, body: "" }));
        if (answer.status === 200) return;
        if (answer.status === 0) unanswered++;
        else {
          expect(answer.status).toBe(d.source === "WHOP" ? 503 : 429);
          refused++;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${d.eventId} never accepted`);
    };
    let stop = false;
    const outages = (async () => {
      for (let i = 0; i < CYCLES && !stop; i++) {
        await new Promise((r) => setTimeout(r, 1500));
        if (i % 3 === 2) proxy.stall();
        else await proxy.refuse();
        await new Promise((r) => setTimeout(r, 2000 + (i % 4) * 500));
        await proxy.restore();
      }
    })();
    await sendAll(traffic.deliveries, 32, deliver);
    stop = true;
    await outages;
    expect(server.process.exitCode).toBeNull();
    const landed = await checkTrafficLanded(t.kysely, traffic.unique);

    const until = Date.now() + 40_000;
    while (proxy.active() > POOL + START_POOL && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(proxy.active(), "connections left open once traffic stopped").toBeLessThanOrEqual(
      POOL + START_POOL,
    );
    console.log(
      `[reliability] soak outages: ${CYCLES} outages (refused and stalled) survived, ${traffic.deliveries.length} ` +
        `deliveries in ${sent} requests, ${refused} answered 503/429, ${unanswered} unanswered, stored ` +
        `${landed.stored}, lost ${landed.lost}; connections settled to ${proxy.active()}`,
    );
  });
});
