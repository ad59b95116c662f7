/**
 * EdgeFunction: one edge function in its own Deno process, as Supabase runs each function in its
 * own isolate: only `--allow-net --allow-env`, a V8 heap capped at 256 MB, and the harness
 * (`harness.ts`) metering CPU per request and stopping the process past 2 s. It is a `FetchApp`,
 * so `localRouter` serves it under `/functions/v1/<name>` exactly as it serves an in-process app.
 *
 * A process that stops (a limit, a crash) is started again by the next request, as Supabase boots
 * a new isolate; the request that was running answers 546 for a limit (Supabase's WORKER_LIMIT)
 * and 502 for a crash.
 */
import type { FetchApp } from "../../shared/http/local-router.ts";
import { json } from "../../shared/http/error-response.ts";
import { oneLine } from "../../shared/errors.ts";
import {
  CPU_LIMIT_EXIT_CODE,
  LISTENING_PREFIX,
  SUPABASE_CPU_LIMIT_MS,
  SUPABASE_MEMORY_MB,
} from "./protocol.ts";

/** How to run one function. */
export interface EdgeFunctionOptions {
  name: string;
  /** Its Supabase entry, `functions/<name>/index.ts`. */
  entry: URL;
  cpuLimitMs?: number;
  heapMb?: number;
}

/** Why a function's process stopped. */
interface Stopped {
  /** A Supabase limit (CPU, memory) rather than a crash. */
  limit: boolean;
  reason: string;
}

const HARNESS = new URL("./harness.ts", import.meta.url);
/** How long a failed request waits to learn whether the process stopped. */
const EXIT_GRACE_MS = 3_000;

export class EdgeFunction implements FetchApp {
  readonly name: string;
  readonly cpuLimitMs: number;
  readonly heapMb: number;
  readonly #entry: URL;
  #ready: Promise<number> | null = null;
  #child: Deno.ChildProcess | null = null;
  #stopped: Promise<Stopped> | null = null;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #stopping = false;

  constructor(options: EdgeFunctionOptions) {
    this.name = options.name;
    this.#entry = options.entry;
    this.cpuLimitMs = options.cpuLimitMs ?? SUPABASE_CPU_LIMIT_MS;
    this.heapMb = options.heapMb ?? SUPABASE_MEMORY_MB;
  }

  /** Starts the process unless it runs; resolves to its port once it listens. */
  start(): Promise<number> {
    return this.#ready ??= this.#spawn();
  }

  /** Forwards the request to the function's process (starting it if needed). */
  fetch = async (request: Request): Promise<Response> => {
    let port: number;
    try {
      port = await this.start();
    } catch (error) {
      this.#ready = null;
      return json(503, { error: "function unavailable", reason: oneLine(error) });
    }
    const stopped = this.#stopped!;
    const url = new URL(request.url);
    try {
      return await fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        duplex: "half",
      } as RequestInit);
    } catch (error) {
      const why = await Promise.race([stopped, new Promise<null>((r) => setTimeout(r, EXIT_GRACE_MS, null))]);
      if (why === null) return json(502, { error: "bad gateway", reason: `${this.name}: ${oneLine(error)}` });
      return why.limit
        ? json(546, { error: "WORKER_LIMIT", reason: `${this.name}: ${why.reason}` })
        : json(502, { error: "function crashed", reason: `${this.name} ${why.reason}` });
    }
  };

  /** Stops the process (SIGTERM, then SIGKILL after 3 s). */
  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child) return;
    await this.#stdin?.close().catch(() => {});
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }, 3_000);
    await child.status;
    clearTimeout(timer);
  }

  #spawn(): Promise<number> {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--allow-net",
        "--allow-env",
        `--v8-flags=--max-heap-size=${this.heapMb}`,
        "--preload",
        HARNESS.pathname,
        this.#entry.pathname,
      ],
      env: { EDGE_CPU_LIMIT_MS: String(this.cpuLimitMs), DENO_NO_UPDATE_CHECK: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    // Held open for the process's life: its end of file tells an orphaned process to exit.
    this.#stdin = child.stdin.getWriter();
    let errTail = "";
    let listening = false;
    return new Promise<number>((resolve, reject) => {
      forwardLines(child.stdout, (line) => {
        if (!listening && line.startsWith(LISTENING_PREFIX)) {
          listening = true;
          resolve(Number(line.slice(LISTENING_PREFIX.length)));
        } else console.log(line);
      });
      forwardLines(child.stderr, (line) => {
        errTail = (errTail + line + "\n").slice(-8192);
        console.error(line);
      });
      this.#stopped = child.status.then((status) => {
        const why = this.#describe(status, errTail);
        if (this.#child === child) this.#ready = null;
        if (!listening) reject(new Error(`${this.name} stopped before listening: ${why.reason}`));
        else if (!this.#stopping) {
          console.error(
            `edge-profile: ${this.name} stopped (${why.reason}); the next request starts it again`,
          );
        }
        return why;
      });
    });
  }

  #describe(status: Deno.CommandStatus, stderr: string): Stopped {
    if (status.code === CPU_LIMIT_EXIT_CODE) {
      return { limit: true, reason: `a request used more than ${this.cpuLimitMs} ms of CPU` };
    }
    if (/out of memory|heap limit/i.test(stderr)) {
      return { limit: true, reason: `out of memory (the V8 heap is capped at ${this.heapMb} MB)` };
    }
    return { limit: false, reason: `exited with ${status.signal ?? `code ${status.code}`}` };
  }
}

/** Calls `onLine` for each line of `stream` as it arrives. */
async function forwardLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let buffered = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered) onLine(buffered);
}
