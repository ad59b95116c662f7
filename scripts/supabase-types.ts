/**
 * `npm run types`: migrates a scratch database and writes `shared/db/supabase-types.ts`, the
 * supabase-js `Database` types (`scripts/supabase-typegen.ts`). `-- --check` writes nothing and
 * fails when the file is not current (run by `npm run check`). The scratch database is an
 * in-memory PGlite, so no server is needed; `-- --database-url postgres://…` migrates a scratch
 * database created on that server instead (and drops it afterwards).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createDb } from "../shared/db/client.ts";
import { migrate } from "../shared/db/migrate.ts";
import { renderSupabaseTypes } from "./supabase-typegen.ts";

const target = new URL("../shared/db/supabase-types.ts", import.meta.url);
const migrations = new URL("../migrations", import.meta.url).pathname;
const check = Deno.args.includes("--check");
const serverAt = Deno.args.indexOf("--database-url");

/** A freshly migrated scratch database: its text of the types, then it is gone. */
async function generate(): Promise<string> {
  if (serverAt >= 0) {
    const url = new URL(Deno.args[serverAt + 1] ?? "");
    const admin = createDb(url.href, { max: 1 });
    const name = `customer_sync_types_${Deno.pid}`;
    await admin.sql.unsafe(`create database ${name}`);
    try {
      url.pathname = `/${name}`;
      return await migrateAndRender(url.href);
    } finally {
      await admin.sql.unsafe(`drop database if exists ${name} with (force)`);
      await admin.close();
    }
  }
  const { startEmbeddedPostgres } = await import("../shared/db/embedded.ts");
  const pg = await startEmbeddedPostgres();
  try {
    return await migrateAndRender(pg.url);
  } finally {
    await pg.stop();
  }
}

async function migrateAndRender(url: string): Promise<string> {
  const db = createDb(url, { max: 1 });
  try {
    await migrate(db.sql, migrations);
    return await renderSupabaseTypes(db.sql);
  } finally {
    await db.close();
  }
}

const text = await generate();
if (check) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // Missing: not current.
  }
  if (current !== text) {
    console.error("shared/db/supabase-types.ts is not current with migrations/: run `npm run types`");
    Deno.exit(1);
  }
  console.log("shared/db/supabase-types.ts is current with migrations/");
} else {
  writeFileSync(target, text);
  console.log(`wrote shared/db/supabase-types.ts (${text.split("\n").length} lines)`);
}
