/**
 * TestDatabase: a fresh, migrated database for one test file. With `TEST_DATABASE_URL` it is a new
 * database on that server, cloned from a template the global setup migrated; without it, an
 * in-memory PGlite served on a loopback port. Either way tests talk to it through postgres.js.
 */
import { createDb, type Db } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { startEmbeddedPostgres } from "../../shared/db/embedded.ts";
import postgres from "postgres";

export interface TestDatabase extends Db {
  url: string;
  /** True on a real server (pg_cron, pg_stat_activity and process kills behave as in production). */
  server: boolean;
}

export const TEMPLATE_DB = "customer_sync_template";

/** Opens a fresh migrated database; call `close()` in `afterAll`. */
export async function openTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const name = `cs_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
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
  const pg = await startEmbeddedPostgres();
  const db = createDb(pg.url, { max: options.max ?? 8 });
  await migrate(db.sql, "migrations");
  return {
    ...db,
    url: pg.url,
    server: false,
    async close() {
      await db.close();
      await pg.stop();
    },
  };
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
