/**
 * ServerProcess: a server the benchmark starts in its own process (the Deno webhook server, the
 * bare baseline) and stops by its id; plus `runProcess` for one-shot children (the load
 * generator, the sheet puller).
 */

export interface ServerProcess {
  /** What the server printed as its address. */
  url: string;
  pid: number;
  output(): string;
  /**
   * Sends SIGTERM and waits up to `graceMs` for the exit, then SIGKILL. Resolves to how it ended:
   * `"exited"` after SIGTERM or `"killed"` when SIGTERM was not enough.
   */
  stop(graceMs?: number): Promise<"exited" | "killed">;
}

const DENO_ENV = { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" };

/** Servers started and not yet stopped, so an interrupted run does not leave them behind. */
const running = new Set<ServerProcess>();

/** Stops every server this process started and has not stopped yet. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop(2_000)));
}

/** Starts `deno run -A <script>` and resolves once it prints a line matching `ready` (group 1 = URL). */
export async function startDenoServer(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    env: { ...DENO_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const decoder = new TextDecoder();
  let found: (url: string) => void;
  const url = new Promise<string>((resolve) => (found = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      out += decoder.decode(chunk, { stream: true });
      const m = ready.exec(out);
      if (m) found(m[1]);
    }
  };
  drain(child.stdout).catch(() => {});
  drain(child.stderr).catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${script} did not start in ${timeoutMs} ms: ${tail(out)}`)),
      timeoutMs,
    );
    child.status.then((s) => reject(new Error(`${script} exited with ${s.code}: ${tail(out)}`)));
  });
  try {
    const address = await Promise.race([url, failed]);
    const server: ServerProcess = {
      url: address,
      pid: child.pid,
      output: () => out,
      async stop(graceMs = 10_000) {
        running.delete(server);
        try {
          child.kill("SIGTERM");
        } catch {
          // Already gone.
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<"killed">((
          resolve,
        ) => (timer = setTimeout(() => resolve("killed"), graceMs)));
        const ended = await Promise.race([child.status.then(() => "exited" as const), grace]);
        clearTimeout(timer);
        if (ended === "killed") {
          try {
            child.kill("SIGKILL");
          } catch {
            // Exited in the meantime.
          }
          await child.status;
        }
        return ended;
      },
    };
    running.add(server);
    return server;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    throw error;
  } finally {
    clearTimeout(timer);
    failed.catch(() => {});
  }
}

/** Runs a command to completion; throws with its output's tail when it fails. */
export async function runProcess(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    env: { ...DENO_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  const stderr = decoder.decode(out.stderr);
  if (!out.success) {
    throw new Error(`${command} ${args[0] ?? ""} exited with ${out.code}: ${tail(stderr || stdout)}`);
  }
  return { stdout, stderr };
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-3).join(" / ").slice(0, 400);
}
