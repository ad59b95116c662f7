/**
 * The webhook bench's load side: pools of signed deliveries, load.mjs runs over them, and the
 * server's stop, peak memory and counts afterwards.
 */
import postgres from "postgres";
import { signStandardWebhook } from "../shared/sources/whop/standard-webhooks.ts";
import type { BenchContext } from "./context.ts";
import type { BenchDatabase } from "./bench-database.ts";
import { runProcess, type ServerProcess } from "./child-process.ts";
import { whopPaymentEvent } from "./whop-payments.ts";

export const SECRET = "ws_bench_webhook_secret";
const ROOT = new URL("../", import.meta.url).pathname;

/** What load.mjs reports. */
export interface LoadResult {
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

/**
 * Lets requests the load generator abandoned at its deadline finish, then stops the server. A
 * server that ignores SIGTERM is killed and the fact reported: it is a finding about shutdown.
 */
export async function settleAndStop(server: ServerProcess): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const how = await server.stop(10_000);
  return how === "exited" ? "exited on SIGTERM" : "ignored SIGTERM for 10 s; killed";
}

export function summary(load: LoadResult): Record<string, unknown> {
  const { answeredIds: _ids, ...rest } = load;
  return { ...rest, ratePerSecond: load.ok / load.seconds };
}

/** Signs a fresh pool (timestamps must be within Whop's 5 minutes), then runs load.mjs on it. */
export async function loadTest(
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
export function paymentIdOf(deliveryId: string): string {
  const m = /^msg_bench_(\w+?)_(\d+)$/.exec(deliveryId);
  if (!m) return deliveryId;
  return `pay_bench${m[1]}${m[2].padStart(9, "0")}`;
}

export async function count(db: BenchDatabase, query: string): Promise<number> {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql.unsafe<{ n: number }[]>(query);
    return row.n;
  } finally {
    await sql.end();
  }
}

/** VmHWM of /proc/<pid>/status: the most resident memory the process has held, in MB (null without /proc). */
export function peakRssMB(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) * 1024 / 1e6 : null;
  } catch {
    return null;
  }
}

/** Waits until no delivery is pending (processing comes after the answers); how long it took, in ms. */
export async function untilDrained(url: string, timeoutMs = 120_000): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const started = performance.now();
  try {
    for (;;) {
      const [{ n }] = await sql<{ n: number }[]>`
        select count(*)::int as n from webhook_events where status = 'pending'`;
      if (n === 0 || performance.now() - started > timeoutMs) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await sql.end();
  }
}
