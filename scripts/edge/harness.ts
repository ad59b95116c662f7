/**
 * The Edge profile's harness, preloaded into each function's own Deno process by `npm start`
 * (see `edge-function.ts`). The function's entry runs unchanged; its `Deno.serve` call is taken
 * over here so that the process listens on a free loopback port and every request is measured:
 *
 * - CPU per request: the process's CPU time (user + system, from `process.cpuUsage`) shared out
 *   between the requests in flight, so concurrent requests each carry their part. It is reported
 *   in the `x-edge-cpu-ms` answer header and one log line per request.
 * - The limit: a request past `EDGE_CPU_LIMIT_MS` (2000, Supabase's) stops the process, as
 *   Supabase stops the isolate; the supervisor answers 546 and starts a fresh one. A watchdog looks
 *   every 50 ms, so work that yields (awaits) is stopped within a tick of the limit; purely
 *   synchronous work is caught the moment it yields or answers.
 * - Stopping: the process exits when the supervisor closes our stdin (or goes away); signals to
 *   the whole process group (Ctrl-C) are the supervisor's to act on.
 */
import process from "node:process";
import { CPU_LIMIT_EXIT_CODE, LISTENING_PREFIX } from "./protocol.ts";

type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

interface Meter {
  method: string;
  path: string;
  cpuMicros: number;
}

const cpuLimitMs = Number(Deno.env.get("EDGE_CPU_LIMIT_MS") ?? 2000);
const quiet = Deno.env.get("EDGE_LOG_REQUESTS") === "0";
const inFlight = new Set<Meter>();
let lastCpu = cpuNow();

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Shares the CPU spent since the last call between the requests in flight. */
function settle(): void {
  const now = cpuNow();
  const spent = now - lastCpu;
  lastCpu = now;
  if (inFlight.size === 0) return;
  const share = spent / inFlight.size;
  for (const meter of inFlight) meter.cpuMicros += share;
}

function breach(meter: Meter): never {
  console.error(
    `edge-profile: LIMIT ${meter.method} ${meter.path} used ${
      Math.round(meter.cpuMicros / 1000)
    } ms of CPU, over the ${cpuLimitMs} ms Supabase allows a request; stopping this isolate as Supabase would`,
  );
  Deno.exit(CPU_LIMIT_EXIT_CODE);
}

function heapMb(): number {
  return Math.round(Deno.memoryUsage().heapUsed / 1048576);
}

/** Wraps a function's handler with the meter. */
function metered(handler: Handler): Handler {
  return async (request, info) => {
    settle();
    const url = new URL(request.url);
    const meter: Meter = { method: request.method, path: url.pathname, cpuMicros: 0 };
    const started = performance.now();
    inFlight.add(meter);
    let response: Response;
    try {
      response = await handler(request, info);
    } finally {
      settle();
      inFlight.delete(meter);
    }
    if (meter.cpuMicros / 1000 > cpuLimitMs) breach(meter);
    const cpuMs = (meter.cpuMicros / 1000).toFixed(1);
    try {
      response.headers.set("x-edge-cpu-ms", cpuMs);
    } catch {
      // Immutable headers (a fetched response passed through): copy them.
      response = new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: new Headers([...response.headers, ["x-edge-cpu-ms", cpuMs]]),
      });
    }
    if (!quiet) {
      console.log(
        `${meter.method} ${meter.path} ${response.status} in ${
          Math.round(performance.now() - started)
        } ms, ` +
          `CPU ${cpuMs} ms of ${cpuLimitMs}, heap ${heapMb()} MB`,
      );
    }
    return response;
  };
}

const watchdog = setInterval(() => {
  settle();
  for (const meter of inFlight) if (meter.cpuMicros / 1000 > cpuLimitMs) breach(meter);
}, 50);
Deno.unrefTimer(watchdog);

/**
 * The supervisor holds our stdin open; end of file means it stopped us or is gone. A Ctrl-C or
 * SIGTERM sent to the whole process group is left to the supervisor, which then closes stdin, so
 * it does not mistake our exit for a crash.
 */
async function exitWithSupervisor(): Promise<void> {
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => {});
  try {
    for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
  } finally {
    Deno.exit(0);
  }
}

const serve = Deno.serve;
(Deno as { serve: unknown }).serve = (...args: unknown[]) => {
  const last = args[args.length - 1] as Handler | { handler: Handler };
  const handler = typeof last === "function" ? last : last.handler;
  // Only once the function serves: Deno runs the entry after a preload's pending work settles.
  exitWithSupervisor();
  return serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`${LISTENING_PREFIX}${port}`),
  }, metered(handler));
};
