import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";

let t: TestDatabase;
let relations: { name: string; kind: string }[];
beforeAll(async () => {
  t = await openTestDatabase();
  await t.sql`insert into users (email) values ('secret@example.com')`;
  relations = await t.sql<{ name: string; kind: string }[]>`
    select c.relname as name, c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'v') order by 1`;
});
afterAll(async () => {
  await t?.close();
});

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
        const read = await t.sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          return await tx.unsafe(`select * from "${name}" limit 1`);
        }).then((rows) => `read ${rows.length}`, (e) => e.code);
        expect(read, `${role} reading ${name}`).toBe("42501");
        if (kind !== "r") continue;
        const write = await t.sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          return await tx.unsafe(`insert into "${name}" default values`);
        }).then(() => "written", (e) => e.code);
        expect(write, `${role} writing ${name}`).toBe("42501");
      }
    });
  }
});
