/**
 * TestDatabase: a fresh, migrated database for one test file. With `TEST_DATABASE_URL` it is a new
 * database on that server, cloned from a template the global setup migrated; without it, the run's
 * one embedded PGlite (files take turns; each starts from empty tables). Either way tests talk to
 * it through postgres.js.
 */
import { createDb, type Db } from "../../shared/db/client.ts";
import postgres from "postgres";
import { inject } from "vitest";
import { createHash } from "node:crypto";

export interface TestDatabase extends Db {
  url: string;
  /** True on a real server (pg_cron, pg_stat_activity and process kills behave as in production). */
  server: boolean;
}

/**
 * Names of this checkout's test databases. Each checkout (a clone, a worktree) has its own prefix,
 * so two suites running on one server at once never drop each other's databases or template.
 */
const CHECKOUT = createHash("sha256").update(process.cwd()).digest("hex").slice(0, 8);
export const TEST_DB_PREFIX = `cs_test_${CHECKOUT}_`;
export const TEMPLATE_DB = `customer_sync_template_${CHECKOUT}`;

/** Opens a fresh migrated database; call `close()` in `afterAll`. */
export async function openTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const name = `${TEST_DB_PREFIX}${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DB}`);
    await admin.end();
    const url = withDatabase(serverUrl, name);
    const db = createDb(url, { max: options.max ?? 8 });
    return {
      ...db,
      url,
      server: true,
      async close() {
        await db.close();
        const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
        await again.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
        await again.end();
      },
    };
  }
  // Embedded mode: the run's one PGlite server (see global-setup.ts), emptied for this file.
  const url = inject("pgliteUrl");
  if (!url) throw new Error("no test database: the global setup did not start PGlite");
  const db = createDb(url, { max: options.max ?? 8 });
  await resetTables(db);
  return { ...db, url, server: false };
}

/**
 * Empties every table of the public schema, so a file starts as on a fresh database; the source
 * registry the migrations filled (`customer_sync_sources`) stays.
 */
async function resetTables(db: Db): Promise<void> {
  const tables = await db.sql<{ name: string }[]>`
    select quote_ident(tablename) as name from pg_tables
    where schemaname = 'public' and tablename <> 'customer_sync_sources'`;
  if (tables.length === 0) return;
  await db.sql.unsafe(`truncate ${tables.map((t) => t.name).join(", ")} restart identity cascade`);
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
