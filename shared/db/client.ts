/**
 * The one way code reaches Postgres: Kysely over postgres.js through kysely-postgres-js. The same
 * path serves a real server, Supabase, and the embedded PGlite (served on a loopback port).
 */
import { Kysely } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import type { Database } from "./types.ts";
import { ConfigError, UpstreamError } from "../errors.ts";
import { env } from "../env.ts";
import { guardPostgresWriteRace } from "./postgres-write-race.ts";

/** A Kysely instance with its postgres.js pool, for the few places that need raw protocol access. */
export interface Db {
  kysely: Kysely<Database>;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** Options for {@link createDb}. */
export interface DbOptions {
  /** Pool size. Edge functions keep it small (Supabase advises one client at module scope). */
  max?: number;
  /** Seconds to wait for a connection before failing (postgres.js `connect_timeout`). */
  connectTimeout?: number;
  /** postgres.js prepared statements; off for Supavisor's transaction pooler (port 6543). */
  prepare?: boolean;
  /** Application name shown in `pg_stat_activity`. */
  applicationName?: string;
}

/**
 * The database URL from `DATABASE_URL`, else Supabase's `SUPABASE_DB_URL`.
 *
 * @throws ConfigError when neither is set (callers that can fall back to PGlite check first).
 */
export function databaseUrl(): string {
  const url = env("DATABASE_URL") ?? env("SUPABASE_DB_URL");
  if (!url) throw new ConfigError("DATABASE_URL is not set (in Supabase, SUPABASE_DB_URL)");
  return url;
}

/**
 * Connects lazily: no connection is opened until the first query, so a server starts while the
 * database is down and answers 503 until it is back.
 *
 * @example
 * const db = createDb(databaseUrl(), { max: 4 });
 * const users = await db.kysely.selectFrom("users").selectAll().execute();
 */
export function createDb(url: string, options: DbOptions = {}): Db {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError("DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/db)");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new ConfigError(`DATABASE_URL must start with postgres:// (got ${parsed.protocol}//)`);
  }
  guardPostgresWriteRace();
  // Supavisor's transaction pooler cannot hold prepared statements.
  const prepare = options.prepare ?? parsed.port !== "6543";
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeout ?? 5,
    idle_timeout: 20,
    // postgres.js waits up to 20 s between reconnects once a few have failed, and queued queries
    // wait with it, so a function would stay unavailable long after the database is back. A few
    // attempts a second per connection cost the database nothing; cap the wait at 1 s.
    backoff: (attempts: number) => Math.min(0.05 * 2 ** attempts, 1),
    prepare,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "customer-sync" },
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: sql }) });
  return {
    kysely,
    sql,
    async close() {
      await kysely.destroy();
    },
  };
}

/** The database client's own connection errors (postgres.js), and the socket's under it. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * True when the error means the database could not be reached or refused work for now, judged by
 * where the error comes from, never by words in its message (a download's "connection reset" is
 * not the database's): a Postgres error of class 08 (connection exception), 53 (insufficient
 * resources) or 57P (operator intervention), or a connection error of the database client or its
 * socket, which carries its code. A provider's failure (`UpstreamError`) and fetch's own errors
 * (a `TypeError` whose code, if any, is on its `cause`) never are.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof UpstreamError || error instanceof TypeError) return false;
  const e = error as Error & { code?: unknown; errno?: unknown };
  const code = typeof e.code === "string" ? e.code : typeof e.errno === "string" ? e.errno : "";
  if (e.name === "PostgresError") return /^(08|53|57P)/.test(code);
  return CONNECTION_CODES.has(code);
}

/**
 * One line for an operator about a database failure: what could not be reached and what to check,
 * never the URL's password.
 */
export function describeDatabaseError(error: unknown): string {
  const e = error as { code?: string; message?: string; address?: string; port?: number } | null;
  const message = (e?.message ?? String(error)).split("\n")[0];
  if (isUnavailable(error)) {
    return `cannot reach the database (${message}): is it running, and is DATABASE_URL right?`;
  }
  if (e?.code === "28P01" || e?.code === "28000") {
    return `the database refused the login (${message}): check DATABASE_URL's user and password`;
  }
  if (e?.code === "3D000") return `${message}: create it, or fix the database name in DATABASE_URL`;
  return message;
}
