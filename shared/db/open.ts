/**
 * openDatabase: the database of a local process (npm start, the CLI, benchmarks). `DATABASE_URL`
 * (or `SUPABASE_DB_URL`) picks a server; with neither, the embedded PGlite in `.data/pglite`
 * (`PGLITE_DATA_DIR`) is served on a loopback port. PGlite is one process's files, so a second
 * local process finds the first one's server through `server.json` beside the data and joins it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDb, type Db } from "./client.ts";
import { env } from "../env.ts";

export interface OpenDatabase extends Db {
  url: string;
  /** "server", "embedded" (we serve PGlite) or "joined" (another local process serves it). */
  mode: "server" | "embedded" | "joined";
}

/** Opens the configured database, starting the embedded one when none is configured. */
export async function openDatabase(options: { max?: number } = {}): Promise<OpenDatabase> {
  const configured = env("DATABASE_URL") ?? env("SUPABASE_DB_URL");
  if (configured) return { ...createDb(configured, { max: options.max }), url: configured, mode: "server" };

  const dataDir = env("PGLITE_DATA_DIR") ?? ".data/pglite";
  const infoFile = join(dataDir, "..", `${dataDir.split("/").pop()}.server.json`);
  const running = readServerInfo(infoFile);
  if (running) return { ...createDb(running.url, { max: options.max }), url: running.url, mode: "joined" };

  mkdirSync(dataDir, { recursive: true });
  const { startEmbeddedPostgres } = await import("./embedded.ts");
  const pg = await startEmbeddedPostgres({ dataDir });
  writeFileSync(infoFile, JSON.stringify({ url: pg.url, pid: getPid() }));
  const db = createDb(pg.url, { max: options.max });
  return {
    ...db,
    url: pg.url,
    mode: "embedded",
    async close() {
      await db.close();
      await pg.stop();
      rmSync(infoFile, { force: true });
    },
  };
}

function readServerInfo(file: string): { url: string; pid: number } | null {
  if (!existsSync(file)) return null;
  try {
    const info = JSON.parse(readFileSync(file, "utf8"));
    if (typeof info.url === "string" && isAlive(info.pid)) return info;
  } catch {
    // A torn or stale file: start our own server.
  }
  return null;
}

function getPid(): number {
  return (globalThis as { Deno?: { pid: number } }).Deno?.pid ??
    (globalThis as unknown as { process: { pid: number } }).process.pid;
}

function isAlive(pid: unknown): boolean {
  if (typeof pid !== "number") return false;
  try {
    (globalThis as unknown as { process: { kill(pid: number, sig: number): void } }).process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
