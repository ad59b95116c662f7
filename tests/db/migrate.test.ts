import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { migrate, MigrationError } from "../../shared/db/migrate.ts";

// The test database arrives migrated; these tests replay the runner into a fresh schema of their
// own by pointing it at copies of the migrations inside a throwaway search path.
let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  // On embedded PGlite the next test file reuses this database: leave it as the migrations made it.
  await t?.sql.unsafe(`
    drop table if exists run_counter, before_bad, half_made;
    delete from supabase_migrations.schema_migrations where version like '2999%';`);
  await t?.close();
});

function migrationsCopy(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "cs-migrations-"));
  for (const f of readdirSync("migrations")) copyFileSync(join("migrations", f), join(dir, f));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("migrations runner", () => {
  it("records every applied file where the Supabase CLI looks, and applies nothing twice", async () => {
    const rows = await sql<{ version: string; name: string; statements: string[] }>`
      select version, name, statements from supabase_migrations.schema_migrations order by version`.execute(
      t.kysely,
    );
    const files = readdirSync("migrations").filter((f) => f.endsWith(".sql")).sort();
    expect(rows.rows.map((r) => `${r.version}_${r.name}.sql`)).toEqual(files);
    expect(rows.rows[0].statements[0]).toContain("create table users");
    const again = await migrate(t.sql, "migrations");
    expect(again).toEqual({ applied: [], alreadyApplied: files.length });
  });

  it("serialises two runners started at once, so each file applies exactly once", async () => {
    const dir = migrationsCopy({
      "29990101000000_counter.sql": "create table run_counter (n int); insert into run_counter values (1);",
    });
    const [a, b] = await Promise.all([migrate(t.sql, dir), migrate(t.sql, dir)]);
    expect(a.applied.length + b.applied.length).toBe(1);
    const n = await sql<{ c: number }>`select count(*)::int as c from run_counter`.execute(t.kysely);
    expect(n.rows[0].c).toBe(1);
  });

  it("fails loudly naming the file and the database error, rolling that file back", async () => {
    const dir = migrationsCopy({
      "29990102000000_ok.sql": "create table before_bad (x int);",
      "29990103000000_bad.sql": "create table half_made (x int);\nselect * from no_such_table;",
    });
    const error = await migrate(t.sql, dir).catch((e) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error.message).toMatch(/^migration 29990103000000_bad\.sql failed: .*no_such_table/);
    const tables = await sql<{ t: string }>`
      select table_name as t from information_schema.tables
      where table_name in ('before_bad', 'half_made')`.execute(t.kysely);
    expect(tables.rows.map((r) => r.t)).toEqual(["before_bad"]);
  });

  it("refuses a file whose name is not YYYYMMDDHHMMSS_name.sql", async () => {
    const dir = migrationsCopy({ "20261301_oops.sql": "select 1;" });
    await expect(migrate(t.sql, dir)).rejects.toThrow(/20261301_oops\.sql/);
  });
});
