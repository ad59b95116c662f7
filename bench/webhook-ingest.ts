/**
 * Scenario 4, webhook ingest: signed, distinct Whop deliveries sent by autocannon at a fixed
 * concurrency to the local Deno server (`scripts/start.ts`, what `npm start` runs), beside a bare
 * Deno server that only inserts each body (bench/bare-server.ts). Afterwards every delivery answered
 * 2xx must be in the database.
 */
import postgres from "postgres";
import { signStandardWebhook } from "../shared/sources/whop/standard-webhooks.ts";
import type { BenchContext } from "./context.ts";
import { type BenchDatabase, withBenchDatabase } from "./bench-database.ts";
import { runProcess, type ServerProcess, startDenoServer } from "./child-process.ts";
import { absoluteCheck, ms, num, rate, ratioCheck, type ScenarioResult } from "./report.ts";
import { whopPaymentEvent } from "./whop-payments.ts";

export const WEBHOOK = "4 webhook ingest";

const SECRET = "ws_bench_webhook_secret";
const POOL_MAX = "4";
/**
 * The bare server neither checks nor deduplicates, so a small pool sent round and round costs it
 * exactly what distinct deliveries would. The function's pool must not run out: it is sized from
 * the bare server's rate (the function does more per request) with room to spare.
 */
const BARE_POOL = 5_000;
const POOL_HEADROOM = 1.5;
const ROOT = new URL("../", import.meta.url).pathname;

/** What load.mjs reports. */
interface LoadResult {
  seconds: number;
  connections: number;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, { count: number }>;
  latency: { average: number; p50: number; p90: number; p99: number; max: number };
  poolSize: number;
  reused: number;
  answeredIds: string[];
}

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
    try {
      load = await loadTest(ctx, `${server.url}/whop-webhook`, "ours", poolSize, seconds, warmup);
    } finally {
      stop = await settleAndStop(server);
    }
    const answered = [...new Set(load.answeredIds)];
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
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
        `${num(lost)} lost of ${num(ours.answered)} answered 2xx (${num(notProcessed)} not yet in whop_data)`,
        "0",
        lost === 0,
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
      `inserts the body into one jsonb table and answers 200.`,
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

/**
 * Lets requests the load generator abandoned at its deadline finish, then stops the server. A
 * server that ignores SIGTERM is killed and the fact reported: it is a finding about shutdown.
 */
async function settleAndStop(server: ServerProcess): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const how = await server.stop(10_000);
  return how === "exited" ? "exited on SIGTERM" : "ignored SIGTERM for 10 s; killed";
}

function summary(load: LoadResult): Record<string, unknown> {
  const { answeredIds: _ids, ...rest } = load;
  return { ...rest, ratePerSecond: load.ok / load.seconds };
}

/** Signs a fresh pool (timestamps must be within Whop's 5 minutes), then runs load.mjs on it. */
async function loadTest(
  ctx: BenchContext,
  url: string,
  tag: string,
  poolSize: number,
  seconds: number,
  warmup: number,
): Promise<LoadResult> {
  const dir = await Deno.makeTempDir({ prefix: "cs-bench-" });
  try {
    const pool = `${dir}/pool.jsonl`;
    const out = `${dir}/result.json`;
    await writePool(pool, tag, poolSize);
    await runProcess("node", [
      `${ROOT}bench/load.mjs`,
      "--url",
      url,
      "--pool",
      pool,
      "--out",
      out,
      "--connections",
      String(ctx.sizes.webhookConnections),
      "--seconds",
      String(seconds),
      "--warmup",
      String(warmup),
    ]);
    return JSON.parse(await Deno.readTextFile(out)) as LoadResult;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Delivery `i` of a pool: webhook-id `msg_bench_<tag>_<i>`, about payment `pay_bench<tag><i>`. */
async function writePool(path: string, tag: string, size: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const now = new Date();
  const people = Math.ceil(size / 2.5);
  try {
    for (let start = 0; start < size; start += 2000) {
      const lines = await Promise.all(
        Array.from({ length: Math.min(2000, size - start) }, async (_, k) => {
          const i = start + k;
          const id = `msg_bench_${tag}_${i}`;
          const body = whopPaymentEvent(i, people, id).replace(`"pay_bench`, `"pay_bench${tag}`);
          const headers = await signStandardWebhook({ id, timestamp: now, body, secret: SECRET });
          return JSON.stringify({ id, headers, body });
        }),
      );
      const bytes = encoder.encode(lines.join("\n") + "\n");
      for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
    }
  } finally {
    file.close();
  }
}

/** The payment a delivery id is about (see {@link writePool}). */
function paymentIdOf(deliveryId: string): string {
  const m = /^msg_bench_(\w+?)_(\d+)$/.exec(deliveryId);
  if (!m) return deliveryId;
  return `pay_bench${m[1]}${m[2].padStart(9, "0")}`;
}

async function count(db: BenchDatabase, query: string): Promise<number> {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql.unsafe<{ n: number }[]>(query);
    return row.n;
  } finally {
    await sql.end();
  }
}
