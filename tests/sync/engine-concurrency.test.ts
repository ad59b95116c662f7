/**
 * The engine when writers meet: a run and another writer on the same keys, two runs of one source
 * or of two sources on the same new people, a deadlock's victim; and how a run commits (its chunks
 * without waiting for the disk, its log, and webhook writes, as usual).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Kysely, sql } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import type { Database } from "../../shared/db/types.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { upsertRecords } from "../../shared/sync/engine.ts";
import { SyncRun } from "../../shared/sync/sync-run.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";
import { ghlTable } from "../../shared/sources/ghl/table.ts";
import { at, batch, contact, payment } from "./batch-records.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data, ghl_data, sync_logs cascade`.execute(t.kysely);
});

/** A Kysely on the test database's pool that counts the statements it sends. */
function countingDb() {
  let statements = 0;
  const db = new Kysely<Database>({
    dialect: new PostgresJSDialect({ postgres: t.sql }),
    log: (event) => void (event.level === "query" && statements++),
  });
  return { db, statements: () => statements };
}

/**
 * Runs `test` with a BEFORE INSERT trigger on whop_data running `body`, beside a sequence `name`
 * the body may count its firings with (`fired()` reads it: a sequence is not rolled back).
 */
async function withInsertTrigger(
  name: string,
  body: string,
  test: (fired: () => Promise<number>) => Promise<void>,
) {
  await sql.raw(`create sequence ${name}`).execute(t.kysely);
  await sql.raw(`create function ${name}() returns trigger language plpgsql as $$
                 begin ${body} return new; end $$`).execute(t.kysely);
  await sql.raw(`create trigger ${name} before insert on whop_data for each row execute function ${name}()`)
    .execute(t.kysely);
  try {
    await test(async () =>
      (await sql.raw<{ n: number }>(`select last_value::int as n from ${name}`).execute(t.kysely)).rows[0].n
    );
  } finally {
    await sql.raw(`drop trigger ${name} on whop_data`).execute(t.kysely);
    await sql.raw(`drop function ${name}()`).execute(t.kysely);
    await sql.raw(`drop sequence ${name}`).execute(t.kysely);
  }
}

describe("concurrent writers and commits", () => {
  it("upserts a chunk whose plain insert meets a key another writer stored, without going record by record", async () => {
    // A one-shot trigger stores pay_00050 just before the engine's own insert of it, as a
    // concurrent writer would; the sequence is not rolled back with the failed statement.
    const body = `
      if new.external_whop_id = 'pay_00050' and nextval('conflict_once') = 1 then
        insert into whop_data (external_whop_id, kind, raw_data, source_updated_at)
        values (new.external_whop_id, 'payment', '{"by": "someone else"}', '2025-01-01');
      end if;`;
    await withInsertTrigger("conflict_once", body, async (fired) => {
      const counted = countingDb();
      const result = await SyncRun.once(counted.db, whopTable, batch(200), { chunkSize: 100 });
      // The failed insert took the other writer's row with it, so the retry creates all 200.
      expect(result).toMatchObject({ created: 200, updated: 0, failed: 0, status: "SUCCESS" });
      expect(await fired()).toBe(3); // the conflict, the other writer's own insert, the retry
      const row = await t.kysely.selectFrom("whop_data").select("raw_data")
        .where("external_whop_id", "=", "pay_00050").executeTakeFirstOrThrow();
      expect(row.raw_data).toEqual(payment(50).raw);
      // Record by record would be hundreds of statements; the retry is a probe and an upsert.
      expect(counted.statements()).toBeLessThan(30);
    });
  });

  it("lets two runs race on the same records into an empty table: each row once, each person once", async () => {
    const records = batch(600);
    const [a, b] = await Promise.all([
      SyncRun.once(t.kysely, whopTable, records, { chunkSize: 100 }),
      SyncRun.once(t.kysely, whopTable, records, { chunkSize: 100 }),
    ]);
    for (const r of [a, b]) expect(r).toMatchObject({ failed: 0, status: "SUCCESS" });
    expect(a.created + b.created).toBe(600);
    expect(a.created + a.updated + a.unchanged).toBe(600);
    expect(b.created + b.updated + b.unchanged).toBe(600);
    const counts = await sql<{ rows: number; keys: number; users: number; unlinked: number }>`
      select (select count(*)::int from whop_data) as rows,
             (select count(distinct external_whop_id)::int from whop_data) as keys,
             (select count(*)::int from users) as users,
             (select count(*)::int from whop_data where user_id is null) as unlinked`.execute(t.kysely);
    expect(counts.rows[0]).toEqual({ rows: 600, keys: 600, users: 37, unlinked: 0 });
  });

  it("lets runs of two sources race on the same new people: one person each, linked from both, HighLevel's name", async () => {
    const [whop, ghl] = await Promise.all([
      SyncRun.once(t.kysely, whopTable, batch(400), { chunkSize: 40 }),
      SyncRun.once(t.kysely, ghlTable, Array.from({ length: 200 }, (_, i) => contact(i)), { chunkSize: 20 }),
    ]);
    expect(whop).toMatchObject({ created: 400, failed: 0, status: "SUCCESS" });
    expect(ghl).toMatchObject({ created: 200, failed: 0, status: "SUCCESS" });
    const people = await sql<{ email: string; name: string; whop: number; ghl: number }>`
      select u.email, u.name,
             (select count(*)::int from whop_data w where w.user_id = u.id) as whop,
             (select count(*)::int from ghl_data g where g.user_id = u.id) as ghl
      from users u order by u.email`.execute(t.kysely);
    expect(people.rows).toHaveLength(37);
    for (const p of people.rows) {
      const i = Number(p.email.match(/\d+/)![0]);
      expect(p).toMatchObject({ name: `Contact ${i}` });
      expect(p.whop).toBeGreaterThan(0);
      expect(p.ghl).toBeGreaterThan(0);
    }
    const unlinked = await sql<{ n: number }>`
      select ((select count(*) from whop_data where user_id is null) +
              (select count(*) from ghl_data where user_id is null))::int as n`.execute(t.kysely);
    expect(unlinked.rows[0].n).toBe(0);
  });

  it("links a tombstone to the person its email names when that person exists", async () => {
    await SyncRun.once(t.kysely, whopTable, batch(60), { chunkSize: 20 });
    const tombstones = batch(60).slice(0, 55).map((r, i) => ({
      ...r,
      key: `refund_${i}`,
      changedAt: at("2026-02-01T00:00:00Z"),
      deleted: true,
    }));
    const result = await SyncRun.once(t.kysely, whopTable, tombstones, { chunkSize: 20 });
    expect(result).toMatchObject({ created: 55, failed: 0 });
    const rows = await sql<{ linked: number; users: number }>`
      select (select count(*)::int from whop_data w join users u on u.id = w.user_id
              where w.external_whop_id like 'refund_%' and u.email = w.email) as linked,
             (select count(*)::int from users) as users`.execute(t.kysely);
    expect(rows.rows[0]).toEqual({ linked: 55, users: 37 });
  });

  it("commits a run's chunks without waiting for the disk, and the run's log and a webhook's write with it", async () => {
    // Each row, and each update of a log, records the commit setting of the transaction writing it.
    await sql`alter table whop_data add column commit_mode text
                default current_setting('synchronous_commit')`.execute(t.kysely);
    await sql`alter table sync_logs add column commit_mode text`.execute(t.kysely);
    await sql.raw(`
      create function note_commit_mode() returns trigger language plpgsql as $$
      begin
        new.commit_mode := current_setting('synchronous_commit');
        return new;
      end $$`).execute(t.kysely);
    await sql`create trigger note_commit_mode before update on sync_logs
                for each row execute function note_commit_mode()`.execute(t.kysely);
    try {
      const result = await SyncRun.once(t.kysely, whopTable, batch(120), { chunkSize: 50 });
      const run = await SyncRun.start(t.kysely, whopTable, { scope: "payment", full: false });
      await run.write(batch(160).slice(120), []);
      const logOf = async (id: string) =>
        (await sql<{ status: string; created: number; commit_mode: string }>`
          select status, created, commit_mode from sync_logs where id = ${id}`.execute(t.kysely)).rows[0];
      const slice = await logOf(run.id);
      await upsertRecords(t.kysely, whopTable, [payment(500)]);
      const modes = await sql<{ mode: string; n: number }>`
        select commit_mode as mode, count(*)::int as n from whop_data group by 1 order by 1`
        .execute(t.kysely);
      expect(modes.rows).toEqual([{ mode: "off", n: 160 }, { mode: "on", n: 1 }]);
      // Each run's last word is an ordinary commit, which flushes its chunks to disk before it.
      expect(await logOf(result.syncLogId!)).toEqual({ status: "SUCCESS", created: 120, commit_mode: "on" });
      expect(slice).toEqual({ status: "RUNNING", created: 40, commit_mode: "on" });
    } finally {
      await sql`drop trigger note_commit_mode on sync_logs`.execute(t.kysely);
      await sql`drop function note_commit_mode()`.execute(t.kysely);
      await sql`alter table sync_logs drop column commit_mode`.execute(t.kysely);
      await sql`alter table whop_data drop column commit_mode`.execute(t.kysely);
    }
  });

  it("tries a chunk again whole when a deadlock interrupts it, not record by record", async () => {
    // A one-shot trigger fails the insert of pay_00120 as Postgres fails a deadlock's victim.
    const body = `
      if new.external_whop_id = 'pay_00120' and nextval('deadlock_once') = 1 then
        raise exception 'deadlock detected' using errcode = '40P01';
      end if;`;
    await withInsertTrigger("deadlock_once", body, async (fired) => {
      const counted = countingDb();
      const result = await SyncRun.once(counted.db, whopTable, batch(200), { chunkSize: 100 });
      expect(result).toMatchObject({ created: 200, failed: 0, status: "SUCCESS" });
      expect(await fired()).toBe(2); // the interrupted try and the one that went through
      const linked = await sql<{ n: number }>`
        select count(*)::int as n from whop_data w join users u on u.id = w.user_id and u.email = w.email`
        .execute(t.kysely);
      expect(linked.rows[0].n).toBe(200);
      // Record by record would be hundreds of statements; trying again is one more transaction.
      expect(counted.statements()).toBeLessThan(40);
    });
  });
});
