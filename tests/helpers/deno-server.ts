/**
 * DenoServer: `scripts/start.ts` (what `npm start` runs) in a real Deno process against a test
 * database, on a free port, for tests that must cross real HTTP into the real runtime.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";

export interface DenoServer {
  /** `http://127.0.0.1:<port>/functions/v1` */
  base: string;
  process: ChildProcess;
  output(): string;
  /** Stops it with SIGTERM (or the given signal) and waits for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const require = createRequire(import.meta.url);

/**
 * Starts the local server (`npm start`'s script, or `script`) with `env` added to the environment;
 * resolves once it serves.
 */
export async function startDenoServer(
  env: Record<string, string>,
  timeoutMs = 30_000,
  script = "scripts/start.ts",
): Promise<DenoServer> {
  const child = spawn(process.execPath, [require.resolve("deno/bin.cjs"), "run", "-A", script], {
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // deno/bin.cjs runs the real deno binary as its own child: a process group of their own lets
    // stop() signal both, instead of killing the wrapper and orphaning a server that keeps serving.
    detached: true,
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/functions\/v1)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    base,
    process: child,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          child.kill(signal);
        }
      }
      return await exited;
    },
  };
}
