import { readFileSync } from "node:fs";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { openTestDatabase, TEST_DB_PREFIX, withDatabase } from "../helpers/database.ts";

/**
 * On a server, a database of its own given hosted Supabase's default privileges (every new table,
 * sequence and function in public granted to anon, authenticated and service_role) before
 * migrating, so the migrations must take those grants back themselves. On PGlite, the run's
 * migrated database.
 */
async function openSupabaseLikeDatabase(): Promise<Db> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return await openTestDatabase();
  const name = `${TEST_DB_PREFIX}${process.pid}_sec_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const db = createDb(withDatabase(serverUrl, name), { max: 4 });
  await db.sql.unsafe(readFileSync("scripts/supabase-default-privileges.sql", "utf8"));
  await migrate(db.sql, "migrations");
  return {
    ...db,
    async close() {
      await db.close();
      const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await again.end();
    },
  };
}

let t: Db;
let relations: { name: string; kind: string }[];
let sequences: string[];
let functions: { signature: string; call: string | null }[];
beforeAll(async () => {
  t = await openSupabaseLikeDatabase();
  await t.sql`insert into users (email) values ('secret@example.com')`;
  relations = await t.sql<{ name: string; kind: string }[]>`
    select c.relname as name, c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'v') order by 1`;
  sequences = (await t.sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'S' order by 1`).map((r) => r.name);
  // A call for each function that takes text arguments or none (trigger functions cannot be called).
  functions = await t.sql<{ signature: string; call: string | null }[]>`
    select p.oid::regprocedure::text as signature,
           case when pg_get_function_result(p.oid) <> 'trigger'
                 and p.proargtypes::oid[] <@ array['text'::regtype, 'jsonb'::regtype]::oid[]
                then format('select %I(%s)', p.proname,
                            (select string_agg(quote_literal('{}'), ', ') from unnest(p.proargtypes::oid[])))
           end as call
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' order by 1`;
});
afterAll(async () => {
  await t?.close();
});

/** Runs `statement` as `role` in a transaction rolled back; the SQLSTATE it failed with, or "ran". */
async function runAs(role: string, statement: string): Promise<string> {
  return await t.sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    await tx.unsafe(statement);
    throw Object.assign(new Error("rollback"), { code: "ran" });
  }).catch((e) => e.code);
}

describe("access from Supabase's public roles", () => {
  it("has row-level security enabled on every table", async () => {
    const open = await t.sql<{ relname: string }[]>`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`;
    expect(open.map((r) => r.relname)).toEqual([]);
    expect(relations.filter((r) => r.kind === "r").length).toBeGreaterThanOrEqual(10);
  });

  for (const role of ["anon", "authenticated"]) {
    it(`lets ${role} read no table or view and write none`, async () => {
      expect(relations.length).toBeGreaterThan(0);
      for (const { name, kind } of relations) {
        expect(await runAs(role, `select * from "${name}" limit 1`), `${role} reading ${name}`).toBe("42501");
        if (kind !== "r") continue;
        expect(await runAs(role, `insert into "${name}" default values`), `${role} writing ${name}`).toBe(
          "42501",
        );
      }
    });

    it(`lets ${role} draw from, read or set no sequence`, async () => {
      expect(sequences).toContain("webhook_events_id_seq");
      for (const seq of sequences) {
        for (
          const statement of [
            `select nextval('${seq}')`,
            `select last_value from "${seq}"`,
            `select setval('${seq}', 1)`,
          ]
        ) {
          expect(await runAs(role, statement), `${role}: ${statement}`).toBe("42501");
        }
      }
    });

    it(`lets ${role} execute no function`, async () => {
      const granted = await t.sql<{ signature: string }[]>`
        select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and has_function_privilege(${role}, p.oid, 'EXECUTE')`;
      expect(granted.map((g) => g.signature)).toEqual([]);
      const callable = functions.filter((f) => f.call !== null);
      expect(callable.length).toBeGreaterThan(0);
      for (const { call } of callable) expect(await runAs(role, call!), `${role}: ${call}`).toBe("42501");
    });
  }

  it("lets service_role read and write the data, but not the cron secret", async () => {
    expect(await runAs("service_role", "select * from revenue_by_user")).toBe("ran");
    expect(
      await runAs(
        "service_role",
        `insert into webhook_events (source, event_id, payload) values ('WHOP', 'x', '{}')`,
      ),
    ).toBe("ran");
    expect(await runAs("service_role", `update users set name = 'x'`)).toBe("ran");
    expect(await runAs("service_role", "select * from customer_sync_settings")).toBe("42501");
    expect(await runAs("service_role", `select customer_sync_setting('cron_secret')`)).toBe("42501");
  });
});
