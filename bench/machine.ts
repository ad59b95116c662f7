/**
 * Machine: what the benchmark ran on, printed above the table and kept in results.json, since a
 * figure means little without the machine and the versions that produced it.
 */
import os from "node:os";
import postgres from "postgres";

export interface Machine {
  os: string;
  kernel: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  node: string;
  deno: string;
  postgres: string;
  date: string;
}

/** Reads the machine, the runtimes' versions and the server's version. */
export async function describeMachine(serverUrl: string): Promise<Machine> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  let server: string;
  try {
    const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
    server = row.v;
  } finally {
    await sql.end();
  }
  const cpus = os.cpus();
  return {
    os: `${Deno.build.os} ${Deno.build.arch}`,
    kernel: os.release(),
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: await nodeVersion(),
    deno: Deno.version.deno,
    postgres: server,
    date: new Date().toISOString(),
  };
}

async function nodeVersion(): Promise<string> {
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped", stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim().replace(/^v/, "");
  } catch {
    return "not found";
  }
}

/** One line: `linux x86_64, 2 × Intel Xeon …, 24 GiB; Node 20.20.2, Deno 2.9.6, PostgreSQL 15.20`. */
export function machineLine(m: Machine): string {
  return `${m.os} (kernel ${m.kernel}), ${m.cpus} × ${m.cpu}, ${m.memoryGiB} GiB; ` +
    `Node ${m.node}, Deno ${m.deno}, PostgreSQL ${m.postgres}; ${m.date}`;
}
