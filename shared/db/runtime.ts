/**
 * The process-wide database of a running function: created on first use from `DATABASE_URL`
 * (Supabase: `SUPABASE_DB_URL`) and shared by every request, as Supabase advises.
 */
import type { Kysely } from "kysely";
import type { Database } from "./types.ts";
import { createDb, databaseUrl, type Db } from "./client.ts";
import { env } from "../env.ts";
import { onPostgresWriteRace } from "./postgres-write-race.ts";

let shared: Db | null = null;

let lastReset = 0;

/**
 * Replaces the shared pool: the next `runtimeDb()` opens a fresh one, and the old one is ended at
 * once, so the queries it still holds fail (their callers answer "retry"). For a pool that stopped
 * answering: postgres.js 3.4.9 can wedge a connection for good when the server side closes it with
 * a small write queued (the write timer it cleared is never reset, so later writes are never
 * flushed and every reconnect times out), and a process with such a pool would otherwise stay
 * unavailable long after the database is back. At most once per `minIntervalMs`.
 */
export function resetRuntimeDb(minIntervalMs = 1000): void {
  if (Date.now() - lastReset < minIntervalMs) return;
  lastReset = Date.now();
  const old = shared;
  shared = null;
  old?.sql.end({ timeout: 0 }).catch(() => {});
}

onPostgresWriteRace(() => resetRuntimeDb(0));

/** The shared database of this process. Throws ConfigError when no URL is configured. */
export function runtimeDb(): Kysely<Database> {
  if (!shared) shared = createDb(databaseUrl(), { max: Number(env("DB_POOL_MAX") ?? 4) });
  return shared.kysely;
}

/** Closes the shared pool (tests and clean shutdown). */
export async function closeRuntimeDb(): Promise<void> {
  const db = shared;
  shared = null;
  await db?.close();
}
