/**
 * MigrationResult: what `migrate` applied. The runner applies `migrations/*.sql` in name order,
 * each file in its own transaction, and records it in `supabase_migrations.schema_migrations`, the
 * table the Supabase CLI keeps, so `supabase db push` and this runner agree about any database.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type postgres from "postgres";

/** One migration file: `YYYYMMDDHHMMSS_name.sql`, as the Supabase CLI names them. */
export interface MigrationFile {
  version: string;
  name: string;
  path: string;
}

/** What a run did. */
export interface MigrationResult {
  applied: MigrationFile[];
  alreadyApplied: number;
}

/** A migration that failed: names the file and carries the database's message. */
export class MigrationError extends Error {
  constructor(readonly file: string, override readonly cause: unknown) {
    const reason = (cause as { message?: string })?.message ?? String(cause);
    super(`migration ${file} failed: ${reason.split("\n")[0]}`);
    this.name = "MigrationError";
  }
}

const FILE_PATTERN = /^(\d{14})_([\w-]+)\.sql$/;

// Any fixed number; two runners serialise on it, so the second sees what the first applied.
const LOCK_KEY = 7_112_034_501;

/** The migration files of `dir`, in the order they apply. */
export async function listMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return names.map((file) => {
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new MigrationError(file, new Error("file name must be YYYYMMDDHHMMSS_name.sql"));
    }
    return { version: match[1], name: match[2], path: join(dir, file) };
  });
}

/**
 * Applies every migration of `dir` not yet recorded. Safe to run twice or from two processes at
 * once (a session advisory lock serialises runners). Stops at the first failure, which is rolled
 * back and thrown as a {@link MigrationError}; files applied before it stay applied.
 *
 * @example
 * const { applied } = await migrate(db.sql, "migrations");
 */
export async function migrate(sql: postgres.Sql, dir: string): Promise<MigrationResult> {
  const files = await listMigrations(dir);
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${LOCK_KEY})`;
    try {
      await conn.unsafe(`
        create schema if not exists supabase_migrations;
        create table if not exists supabase_migrations.schema_migrations (
          version text not null primary key,
          statements text[],
          name text
        );`);
      const rows = await conn<
        { version: string }[]
      >`select version from supabase_migrations.schema_migrations`;
      const done = new Set(rows.map((r) => r.version));
      const applied: MigrationFile[] = [];
      for (const file of files) {
        if (done.has(file.version)) continue;
        const text = await readFile(file.path, "utf8");
        try {
          await conn.unsafe("begin");
          // Claim the version first: a runner that lost the race (on PGlite, where one session
          // serves every client and the advisory lock cannot tell them apart) finds it taken.
          const claimed = await conn`
            insert into supabase_migrations.schema_migrations (version, statements, name)
            values (${file.version}, ${[text]}, ${file.name})
            on conflict (version) do nothing
            returning version`;
          if (claimed.length === 0) {
            await conn.unsafe("rollback");
            continue;
          }
          // Simple-protocol execution so a file may hold many statements and DO blocks.
          await conn.unsafe(text);
          await conn.unsafe("commit");
        } catch (error) {
          await conn.unsafe("rollback").catch(() => {});
          throw new MigrationError(`${file.version}_${file.name}.sql`, error);
        }
        applied.push(file);
      }
      return { applied, alreadyApplied: files.length - applied.length };
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_KEY})`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}
