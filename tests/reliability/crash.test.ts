/**
 * Crash: the real Deno server is killed with SIGKILL in the middle of a webhook burst. Every
 * delivery it had answered 2xx is in the database; no row holds anything but a version that was
 * sent; after a restart the providers' retries (every delivery not answered 2xx, sent again)
 * leave each event stored once and processed, including those the crash left stored but
 * unprocessed. The sheet-pull crash is in crash-sheet-pull.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";
import { makeTraffic, post, sendAll, type TrafficDelivery } from "../helpers/webhook-traffic.ts";
import { canonical, checkTrafficLanded } from "../helpers/traffic-check.ts";

const SECRET = "ws_crash_test_secret";
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

describe("a server killed with SIGKILL mid-burst", () => {
  it(
    "keeps every delivery it answered 2xx, writes no partial row, and lands the rest on retry after a restart",
    async () => {
      const traffic = makeTraffic({ total: 400, whopSecret: SECRET, ghl: signer, seed: 31, prefix: "crash" });
      server = await start();
      const killed = server;
      let answered = 0;
      let kill: Promise<unknown> | null = null;
      const outcomes = await sendAll(traffic.deliveries, 32, async (d) => {
        if (kill) return { status: 0, body: "not sent: the server was down" };
        const answer = await post(killed.base, d).catch((error) => ({ status: 0, body: String(error) }));
        // Kill it once a good part of the burst is answered, with 32 more requests in flight.
        if (answer.status === 200 && ++answered === 120) kill = killed.stop("SIGKILL");
        return answer;
      });
      await kill;
      expect(killed.process.signalCode).toBe("SIGKILL");

      // Every 2xx answer is in the database, as it was before any restart.
      const accepted = traffic.deliveries.filter((_, i) =>
        outcomes[i].status >= 200 && outcomes[i].status < 300
      );
      const unanswered = outcomes.filter((o) => o.status === 0).length;
      expect(accepted.length).toBeGreaterThanOrEqual(120);
      expect(unanswered).toBeGreaterThan(0);
      const stored = new Set(
        (await t.kysely.selectFrom("webhook_events").select(["source", "event_id"]).execute())
          .map((e) => `${e.source}/${e.event_id}`),
      );
      expect(accepted.filter((d) => !stored.has(`${d.source}/${d.eventId}`)).map((d) => d.eventId)).toEqual(
        [],
      );
      await expectOnlySentVersions(traffic.unique);
      const leftPending = await t.kysely.selectFrom("webhook_events").select("event_id")
        .where("status", "=", "pending").execute();

      // Restarted, the providers retry whatever got no 2xx, until it does.
      server = await start();
      const restarted = server;
      const retry = traffic.deliveries.filter((_, i) =>
        !(outcomes[i].status >= 200 && outcomes[i].status < 300)
      );
      let retries = 0;
      await sendAll(retry, 16, async (d) => {
        for (let attempt = 0; attempt < 20; attempt++) {
          retries++;
          const answer = await post(restarted.base, d);
          if (answer.status === 200) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`${d.eventId} never accepted after the restart`);
      });
      // A delivery answered 2xx before the crash but left pending is redelivered by nobody: a
      // repeat is how a provider would retry it, and `replay` is how an operator would.
      const landed = await checkTrafficLanded(t.kysely, traffic.unique).catch(async (error) => {
        if (leftPending.length === 0) throw error;
        throw new Error(
          `${leftPending.length} events left pending by the crash: ${(error as Error).message}`,
        );
      });
      expect(restarted.process.exitCode).toBeNull();
      console.log(
        `[reliability] crash (${t.server ? "server" : "PGlite"}): SIGKILL after ${accepted.length} of ` +
          `${traffic.deliveries.length} deliveries answered 2xx (${unanswered} in flight or unsent); all ` +
          `${accepted.length} found after the kill, ${leftPending.length} left pending; ${retries} retries after ` +
          `restart; stored ${landed.stored}, lost ${landed.lost}`,
      );
    },
    120_000,
  );
});

/** Every source row holds exactly one of the versions that was sent for it: nothing half-written. */
async function expectOnlySentVersions(unique: readonly TrafficDelivery[]) {
  const versions = new Map<string, Set<string>>();
  for (const d of unique) {
    const id = `${d.table}/${d.key}`;
    if (!versions.has(id)) versions.set(id, new Set());
    versions.get(id)!.add(canonical(d.raw));
  }
  const rows = [
    ...(await t.kysely.selectFrom("whop_data").select(["external_whop_id as key", "raw_data as raw"])
      .execute())
      .map((r) => [`whop_data/${r.key}`, r.raw] as const),
    ...(await t.kysely.selectFrom("ghl_data").select(["external_contact_id as key", "raw_data as raw"])
      .execute())
      .map((r) => [`ghl_data/${r.key}`, r.raw] as const),
  ];
  const strange = rows.filter(([id, raw]) => !versions.get(id)?.has(canonical(raw))).map(([id]) => id);
  expect(strange, "rows holding something that was never sent").toEqual([]);
}
