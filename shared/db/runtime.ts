/**
 * The process-wide database of a running function: created on first use from `DATABASE_URL`
 * (Supabase: `SUPABASE_DB_URL`) and shared by every request, as Supabase advises.
 */
import type { Kysely } from "kysely";
import type { Database } from "./types.ts";
import { createDb, databaseUrl, type Db } from "./client.ts";
import { env } from "../env.ts";

let shared: Db | null = null;

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
