/**
 * BenchDatabase: a fresh, migrated database `cs_bench_<n>` on the benchmark's server, so every
 * scenario starts from empty tables and leaves nothing behind.
 */
import postgres from "postgres";
import { createDb, type Db } from "../shared/db/client.ts";
import { migrate } from "../shared/db/migrate.ts";

export interface BenchDatabase {
  name: string;
  url: string;
  /** A new pool on this database; the caller closes it. */
  open(options?: { max?: number; applicationName?: string }): Db;
  /** Per-table write counters, read after the writers' backends have reported them. */
  tableStats(table: string): Promise<TableStats>;
  drop(): Promise<void>;
}

/** The cumulative counters of `pg_stat_user_tables` for one table. */
export interface TableStats {
  inserted: number;
  updated: number;
  hotUpdated: number;
  deleted: number;
}

const MIGRATIONS = new URL("../migrations", import.meta.url).pathname;

/** Databases created and not yet dropped, so an interrupted run can clean up after itself. */
const live = new Map<string, () => Promise<void>>();

/** Drops every database this process created and has not dropped yet. */
export async function dropAllBenchDatabases(): Promise<void> {
  for (const drop of [...live.values()]) await drop().catch(() => {});
  templates.clear();
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The migrated database each run clones its fresh databases from, per server URL. */
const templates = new Map<string, Promise<string>>();

function dropper(serverUrl: string, name: string): () => Promise<void> {
  const drop = async () => {
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      live.delete(name);
    } finally {
      await admin.end();
    }
  };
  live.set(name, drop);
  return drop;
}

/** Creates and migrates `cs_bench_<pid>_template` once; fresh databases are copies of it. */
function template(serverUrl: string): Promise<string> {
  let pending = templates.get(serverUrl);
  if (!pending) {
    pending = (async () => {
      const name = `cs_bench_${Deno.pid}_template`;
      await exec(serverUrl, `drop database if exists ${name} with (force)`);
      await exec(serverUrl, `create database ${name}`);
      dropper(serverUrl, name);
      const setup = createDb(withDatabase(serverUrl, name), { max: 1 });
      try {
        await migrate(setup.sql, MIGRATIONS);
      } finally {
        await closeDb(setup);
      }
      // A closed connection's backend exits a moment later; a template in use cannot be copied.
      await untilUnused(serverUrl, name);
      return name;
    })();
    templates.set(serverUrl, pending);
  }
  return pending;
}

/**
 * Closes both halves of a `Db`. `Db.close()` destroys Kysely, which ends the postgres.js pool only
 * when Kysely itself was used; a pool used through `db.sql` alone would stay open until idle.
 */
async function closeDb(db: Db): Promise<void> {
  await db.close();
  await db.sql.end();
}

async function untilUnused(serverUrl: string, name: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < 100; i++) {
      const [{ n }] = await admin<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = ${name}`;
      if (n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await admin.end();
  }
}

async function exec(serverUrl: string, statement: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

/**
 * Creates `cs_bench_<suffix>`, a copy of the run's migrated template (dropping a leftover of a
 * crashed run first). Copying is much faster than migrating each database anew.
 */
export async function createBenchDatabase(serverUrl: string, suffix: string): Promise<BenchDatabase> {
  const name = `cs_bench_${suffix}`;
  const from = await template(serverUrl);
  await exec(serverUrl, `drop database if exists ${name} with (force)`);
  await exec(serverUrl, `create database ${name} template ${from}`);
  const drop = dropper(serverUrl, name);
  const url = withDatabase(serverUrl, name);
  return {
    name,
    url,
    open(options = {}) {
      const db = createDb(url, {
        max: options.max ?? 4,
        applicationName: options.applicationName ?? "cs-bench",
      });
      return { ...db, close: () => closeDb(db) };
    },
    tableStats: (table) => tableStats(url, table),
    drop,
  };
}

async function tableStats(url: string, table: string): Promise<TableStats> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ ins: string; upd: string; hot: string; del: string }[]>`
      select n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot, n_tup_del as del
      from pg_stat_user_tables where relname = ${table}`;
    if (!row) throw new Error(`no statistics for table ${table}`);
    return {
      inserted: Number(row.ins),
      updated: Number(row.upd),
      hotUpdated: Number(row.hot),
      deleted: Number(row.del),
    };
  } finally {
    await sql.end();
  }
}

/**
 * Waits until the statistics of `table` show at least `minInserted` inserts: backends publish
 * their counters asynchronously (at the latest when they exit), so a reading taken too early
 * would undercount. `sync_logs` makes a good sentinel: every run inserts its log row.
 */
export async function waitForStats(db: BenchDatabase, table: string, minInserted: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await db.tableStats(table)).inserted >= minInserted) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`statistics of ${table} did not reach ${minInserted} inserts within 15 s`);
}

/** Runs `work` on a fresh database and drops it afterwards, whatever happens. */
export async function withBenchDatabase<T>(
  serverUrl: string,
  suffix: string,
  work: (db: BenchDatabase) => Promise<T>,
): Promise<T> {
  const db = await createBenchDatabase(serverUrl, suffix);
  try {
    return await work(db);
  } finally {
    await db.drop();
  }
}

/**
 * Flushes dirty buffers before a timed phase (`CHECKPOINT`), so a checkpoint the previous phase
 * owes does not land inside the next one's timing. Skipped quietly without the privilege.
 */
export async function settle(serverUrl: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`checkpoint`;
  } catch {
    // Not a superuser (nor pg_checkpoint): the run is only noisier.
  } finally {
    await sql.end();
  }
}
