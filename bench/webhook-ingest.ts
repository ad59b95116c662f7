/**
 * Scenario 4, webhook ingest: signed, distinct Whop deliveries sent by autocannon at a fixed
 * concurrency to the local Deno server (`scripts/start.ts`, what `npm start` runs), beside a bare
 * Deno server that only inserts each body (bench/bare-server.ts). The function answers once the
 * delivery is stored and processes after the answer; afterwards every delivery answered 2xx must be
 * stored and applied, and the time from answer to applied row is measured under the load.
 */
import postgres from "postgres";
import type { BenchContext } from "./context.ts";
import { withBenchDatabase } from "./bench-database.ts";
import { startDenoServer } from "./child-process.ts";
import { absoluteCheck, ms, num, rate, ratioCheck, type ScenarioResult } from "./report.ts";
import {
  count,
  type LoadResult,
  loadTest,
  paymentIdOf,
  peakRssMB,
  SECRET,
  settleAndStop,
  summary,
  untilDrained,
} from "./webhook-load.ts";

export const WEBHOOK = "4 webhook ingest";

const POOL_MAX = "4";
/**
 * The bare server neither checks nor deduplicates, so a small pool sent round and round costs it
 * exactly what distinct deliveries would. The function's pool must not run out: it is sized from
 * the bare server's rate (the function does more per request) with room to spare.
 */
const BARE_POOL = 5_000;
const POOL_HEADROOM = 1.5;

export async function webhookIngest(ctx: BenchContext): Promise<ScenarioResult> {
  const seconds = ctx.sizes.webhookSeconds;
  const warmup = ctx.quick ? 1 : 2;
  const connections = ctx.sizes.webhookConnections;

  ctx.log(`${WEBHOOK}: baseline, the bare Deno server, ${connections} connections for ${seconds} s`);
  const bare = await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_bare`, async (db) => {
    const server = await startDenoServer("bench/bare-server.ts", {
      DATABASE_URL: db.url,
      PORT: "0",
      DB_POOL_MAX: POOL_MAX,
    }, /bare server: (http:\/\/\S+)/);
    let load: LoadResult;
    let stop: string;
    try {
      load = await loadTest(ctx, server.url, "bare", BARE_POOL, seconds, warmup);
    } finally {
      stop = await settleAndStop(server);
    }
    const stored = await count(db, "select count(*)::int as n from bare_events");
    return { load, stored, stop };
  });

  const bareRate = bare.load.responses / bare.load.seconds;
  const poolSize = Math.ceil(bareRate * (seconds + warmup) * POOL_HEADROOM) + 1_000;
  ctx.log(
    `${WEBHOOK}: the whop-webhook function under scripts/start.ts, same load (${
      num(poolSize)
    } deliveries signed)`,
  );
  const ours = await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_webhook`, async (db) => {
    const server = await startDenoServer(
      "scripts/start.ts",
      { DATABASE_URL: db.url, PORT: "0", WHOP_WEBHOOK_SECRET: SECRET, DB_POOL_MAX: POOL_MAX },
      /(http:\/\/127\.0\.0\.1:\d+\/functions\/v1)\//,
    );
    let load: LoadResult;
    let stop: string;
    let drainMs: number;
    let rssMB: number | null;
    try {
      load = await loadTest(ctx, `${server.url}/whop-webhook`, "ours", poolSize, seconds, warmup);
      // Processing comes after the answers: what is still pending when the load stops.
      drainMs = await untilDrained(db.url);
      rssMB = peakRssMB(server.pid);
    } finally {
      stop = await settleAndStop(server);
    }
    const answered = [...new Set(load.answeredIds)];
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      // From the delivery's insert (its answer follows at once) to its row's write, per delivery.
      const [lag] = await sql<{ p50: number | null; p99: number | null; max: number | null }[]>`
        select percentile_cont(0.5) within group (order by ms) as p50,
               percentile_cont(0.99) within group (order by ms) as p99, max(ms) as max
        from (select extract(epoch from w.last_synced - e.received_at) * 1000 as ms
              from webhook_events e
              join whop_data w on w.external_whop_id = e.payload -> 'data' ->> 'id'
              where e.source = 'WHOP') as lags`;
      const [{ events }] = await sql<{ events: number }[]>`
        select count(*)::int as events from webhook_events where source = 'WHOP' and event_id = any(${answered})`;
      const [{ payments }] = await sql<{ payments: number }[]>`
        select count(*)::int as payments from whop_data
        where external_whop_id = any(${answered.map(paymentIdOf)})`;
      const statuses = await sql<{ status: string; n: number }[]>`
        select status, count(*)::int as n from webhook_events group by status order by status`;
      return {
        load,
        answered: answered.length,
        stored: events,
        processed: payments,
        statuses: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
        stop,
        drainMs,
        rssMB,
        lag,
      };
    } finally {
      await sql.end();
    }
  });

  const bareOkRate = bare.load.ok / bare.load.seconds;
  const ourRate = ours.load.ok / ours.load.seconds;
  const lost = ours.answered - ours.stored;
  const notProcessed = ours.answered - ours.processed;
  const failedSends = ours.load.non2xx + ours.load.errors + ours.load.timeouts;
  return {
    name: WEBHOOK,
    checks: [
      ratioCheck(
        WEBHOOK,
        `${rate(ourRate, "req")}${failedSends ? ` (${num(failedSends)} not 2xx)` : ""}`,
        `bare server ${rate(bareOkRate, "req")}`,
        ourRate / bareOkRate,
        { atLeast: 0.5 },
      ),
      absoluteCheck(
        WEBHOOK,
        `p99 ${ms(ours.load.latency.p99)}`,
        "< 50 ms",
        ours.load.latency.p99 < 50,
        `bare p99 ${ms(bare.load.latency.p99)}`,
      ),
      absoluteCheck(
        WEBHOOK,
        `${num(lost)} lost of ${num(ours.answered)} answered 2xx (${num(notProcessed)} not applied)`,
        "0",
        lost === 0 && notProcessed === 0,
      ),
      absoluteCheck(
        WEBHOOK,
        `answer to applied p99 ${ms(ours.lag.p99 ?? NaN)} (p50 ${ms(ours.lag.p50 ?? NaN)})`,
        "< 2 s",
        ours.lag.p99 !== null && ours.lag.p99 < 2000,
        `backlog drained ${ms(ours.drainMs)} after the load`,
      ),
      absoluteCheck(
        WEBHOOK,
        ours.rssMB === null ? "peak RSS unknown (no /proc)" : `peak RSS ${num(ours.rssMB)} MB`,
        "< 256 MB",
        ours.rssMB === null ? null : ours.rssMB < 256,
        "Edge allows 256 MB",
      ),
    ],
    measurements: {
      connections,
      seconds,
      warmupSeconds: warmup,
      lost,
      ours: {
        ...summary(ours.load),
        answered: ours.answered,
        stored: ours.stored,
        processed: ours.processed,
        statuses: ours.statuses,
        stop: ours.stop,
        answerToAppliedMs: ours.lag,
        drainedAfterLoadMs: ours.drainMs,
        peakRssMB: ours.rssMB,
      },
      bare: { ...summary(bare.load), stored: bare.stored, stop: bare.stop },
    },
    notes: [
      `webhook (4): autocannon (Node) with ${connections} connections for ${seconds} s after a ${warmup} s ` +
      `warm-up; every request to the function a distinct payment.succeeded delivery signed in advance with ` +
      `signStandardWebhook (the bare server gets the same kind of requests from a pool of ${
        num(BARE_POOL)
      }); ` +
      `throughput is 2xx answers per second. Both servers use a database pool of ${POOL_MAX}; the bare server ` +
      `inserts the body into one jsonb table and answers 200. The function answers once the delivery is ` +
      `stored and processes after the answer, in batches; answer to applied is each delivery's ` +
      `whop_data.last_synced minus its webhook_events.received_at, over every delivery of the run.`,
      ...(ours.stop === "exited on SIGTERM"
        ? []
        : [`webhook (4): scripts/start.ts ${ours.stop} after the load.`]),
      ...(ours.load.reused > 0
        ? [
          `webhook (4): the signed pool ran out; ${
            num(ours.load.reused)
          } sends repeated a delivery (duplicates).`,
        ]
        : []),
    ],
  };
}
