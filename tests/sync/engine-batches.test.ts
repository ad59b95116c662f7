/**
 * The engine on batches big enough for its bulk path (an empty table takes plain inserts; records
 * are prepared chunk by chunk and travel as one list per field): what comes back out of the
 * database is exactly what went in, bad records fail alone, and full syncs never delete a row a
 * refused or keyless record might stand for.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Kysely, sql } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import type { Database } from "../../shared/db/types.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { sync, upsertRecords } from "../../shared/sync/engine.ts";
import type { SourceRecord } from "../../shared/sync/record.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";
import { ghlTable } from "../../shared/sources/ghl/table.ts";

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

/** A contact of HighLevel's for buyer `i % 37`, under HighLevel's own name for them. */
function contact(i: number): SourceRecord {
  return {
    key: `contact_${i}`,
    scope: "loc_1",
    email: `Buyer${i % 37}@Example.com`,
    name: `Contact ${i % 37}`,
    raw: { id: `contact_${i}` },
    changedAt: at("2026-01-01T00:00:00Z"),
  };
}

const at = (s: string) => new Date(s);
function payment(i: number, over: Partial<SourceRecord> = {}): SourceRecord {
  return {
    key: `pay_${String(i).padStart(5, "0")}`,
    scope: "payment",
    email: `buyer${i % 37}@example.com`,
    name: `Buyer ${i % 37}`,
    raw: { id: `pay_${i}`, total: 10 + i, note: `line one\nline two ${i}` },
    changedAt: at("2026-01-01T00:00:00Z"),
    amount: `${10 + i}.00`,
    currency: "USD",
    amountUsd: `${10 + i}.00`,
    revenue: true,
    ...over,
  };
}
const batch = (n: number) => Array.from({ length: n }, (_, i) => payment(i));

describe("bulk batches", () => {
  it("stores hostile text in every field exactly as given", async () => {
    const hostile = [
      "line\nbreak",
      "tab\there",
      'quote " and \\ backslash',
      "\\n (a backslash and an n, not a newline)",
      "line separator \u2028 and paragraph \u2029",
      "emoji 👩‍💻 and accents é",
      '{"looks": "like json"}',
      "'); drop table users; --",
    ];
    const records = batch(120).map((r, i) => {
      const text = hostile[i % hostile.length];
      return {
        ...r,
        key: `${r.key} ${text}`,
        name: `${text} ${i}`,
        raw: { id: r.key, text, nested: { text: [text] } },
      };
    });
    const result = await sync(t.kysely, whopTable, records, { chunkSize: 50 });
    expect(result).toMatchObject({ created: 120, failed: 0, status: "SUCCESS" });
    const rows = await t.kysely.selectFrom("whop_data").select(["external_whop_id", "name", "raw_data"])
      .execute();
    const byKey = new Map(rows.map((r) => [r.external_whop_id, r]));
    for (const r of records) {
      const row = byKey.get(r.key);
      expect(row?.name).toBe(r.name);
      expect(row?.raw_data).toEqual(r.raw);
    }
  });

  it("keeps every change time and business date to the millisecond", async () => {
    const times = [
      "2026-01-01T00:00:00.001Z",
      "1970-01-01T00:00:00.000Z",
      "1969-07-20T20:17:40.999Z",
      "2199-12-31T23:59:59.999Z",
    ];
    const records = batch(80).map((r, i) => ({
      ...r,
      changedAt: at(times[i % 4]),
      date: i % 5 === 0 ? null : at(times[(i + 1) % 4]),
    }));
    await sync(t.kysely, whopTable, records, { chunkSize: 30 });
    const rows = await t.kysely.selectFrom("whop_data").select([
      "external_whop_id",
      "source_updated_at",
      "date",
    ]).execute();
    const byKey = new Map(rows.map((r) => [r.external_whop_id, r]));
    for (const r of records) {
      const row = byKey.get(r.key)!;
      expect(new Date(row.source_updated_at).toISOString()).toBe(r.changedAt!.toISOString());
      expect(row.date === null ? null : new Date(row.date).toISOString()).toBe(r.date?.toISOString() ?? null);
    } // The probe compares the same values the insert stored: every record is unchanged.
    const again = await sync(t.kysely, whopTable, records, { chunkSize: 30 });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 80 });
  });

  it("fails a record the database refuses alone, with its reason, in a batch into an empty table", async () => {
    const records = batch(120);
    // A lone surrogate serialises as \ud800, which jsonb refuses.
    records[70] = payment(70, { raw: { id: "pay_70", broken: "\ud800" } });
    const result = await sync(t.kysely, whopTable, records, { chunkSize: 50 });
    expect(result).toMatchObject({ created: 119, failed: 1, status: "PARTIAL" });
    expect(result.errors).toEqual([{
      key: "pay_00070",
      reason: expect.stringMatching(/unicode|surrogate/i),
    }]);
    expect(result.errors[0].reason).not.toContain("\n");
    const stored = await t.kysely.selectFrom("whop_data").select(sql<number>`count(*)::int`.as("n"))
      .executeTakeFirst();
    expect(stored?.n).toBe(119);
  });

  it("upserts a chunk whose plain insert meets a key another writer stored, without going record by record", async () => {
    // A one-shot trigger stores pay_00050 just before the engine's own insert of it, as a
    // concurrent writer would; the sequence is not rolled back with the failed statement.
    await sql`create sequence conflict_once`.execute(t.kysely);
    await sql.raw(`
      create function conflict_once() returns trigger language plpgsql as $$
      begin
        if new.external_whop_id = 'pay_00050' and nextval('conflict_once') = 1 then
          insert into whop_data (external_whop_id, kind, raw_data, source_updated_at)
          values (new.external_whop_id, 'payment', '{"by": "someone else"}', '2025-01-01');
        end if;
        return new;
      end $$`).execute(t.kysely);
    await sql`create trigger conflict_once before insert on whop_data for each row execute function conflict_once()`
      .execute(t.kysely);
    try {
      let statements = 0;
      const counted = new Kysely<Database>({
        dialect: new PostgresJSDialect({ postgres: t.sql }),
        log: (event) => void (event.level === "query" && statements++),
      });
      const result = await sync(counted, whopTable, batch(200), { chunkSize: 100 });
      // The failed insert took the other writer's row with it, so the retry creates all 200.
      expect(result).toMatchObject({ created: 200, updated: 0, failed: 0, status: "SUCCESS" });
      const fired = await sql<{ n: number }>`select last_value::int as n from conflict_once`.execute(
        t.kysely,
      );
      expect(fired.rows[0].n).toBe(3); // the conflict, the other writer's own insert, the retry
      const row = await t.kysely.selectFrom("whop_data").select("raw_data").where(
        "external_whop_id",
        "=",
        "pay_00050",
      )
        .executeTakeFirstOrThrow();
      expect(row.raw_data).toEqual(payment(50).raw);
      // Record by record would be hundreds of statements; the retry is a probe and an upsert.
      expect(statements).toBeLessThan(30);
    } finally {
      await sql`drop trigger conflict_once on whop_data`.execute(t.kysely);
      await sql`drop function conflict_once()`.execute(t.kysely);
      await sql`drop sequence conflict_once`.execute(t.kysely);
    }
  });

  it("lets two runs race on the same records into an empty table: each row once, each person once", async () => {
    const records = batch(600);
    const [a, b] = await Promise.all([
      sync(t.kysely, whopTable, records, { chunkSize: 100 }),
      sync(t.kysely, whopTable, records, { chunkSize: 100 }),
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

  it("writes the newest valid version of a repeated key, and fails an invalid newer one alone", async () => {
    const records = [
      ...batch(60),
      payment(5, { raw: { v: "newer" }, changedAt: at("2026-02-01T00:00:00Z") }),
      payment(5, { raw: { v: "newest but broken" }, amount: "ten", changedAt: at("2026-03-01T00:00:00Z") }),
    ];
    const result = await sync(t.kysely, whopTable, records, { chunkSize: 25 });
    expect(result).toMatchObject({ created: 60, failed: 1, status: "PARTIAL" });
    expect(result.errors).toEqual([{ key: "pay_00005", reason: expect.stringMatching(/amount "ten"/) }]);
    const row = await t.kysely.selectFrom("whop_data").select("raw_data").where(
      "external_whop_id",
      "=",
      "pay_00005",
    )
      .executeTakeFirstOrThrow();
    expect(row.raw_data).toEqual({ v: "newer" });
  });

  it("never soft-deletes the row of a record a full sync refused", async () => {
    const records = batch(80);
    await sync(t.kysely, whopTable, records, { full: true, scope: "payment" });
    const again = records.map((r, i) => (i === 10 ? { ...r, amount: "12,50" } : r));
    const result = await sync(t.kysely, whopTable, again.slice(0, 79), { full: true, scope: "payment" });
    expect(result).toMatchObject({ failed: 1, deleted: 1, status: "PARTIAL" });
    const gone = await t.kysely.selectFrom("whop_data").select("external_whop_id").where(
      "deleted_at",
      "is not",
      null,
    )
      .execute();
    expect(gone.map((r) => r.external_whop_id)).toEqual(["pay_00079"]);
  });

  it("soft-deletes nothing when a full set holds a record without a key, and says why", async () => {
    const contacts = (n: number) =>
      Array.from({ length: n }, (_, i): SourceRecord => ({
        key: `c${i}`,
        scope: "loc1",
        email: `c${i}@example.com`,
        name: `C ${i}`,
        raw: { id: `c${i}` },
        changedAt: null,
      }));
    await sync(t.kysely, ghlTable, contacts(60), { full: true, scope: "loc1" });
    const keyless = { ...contacts(1)[0], key: "" };
    const result = await sync(t.kysely, ghlTable, [...contacts(50), keyless], { full: true, scope: "loc1" });
    expect(result).toMatchObject({ deleted: 0, failed: 1, status: "PARTIAL" });
    const log = await t.kysely.selectFrom("sync_logs").select("error_message").where(
      "id",
      "=",
      result.syncLogId!,
    )
      .executeTakeFirstOrThrow();
    expect(log.error_message).toMatch(/had no key, so nothing was soft-deleted/);
    const live = await t.kysely.selectFrom("ghl_data").select("id").where("deleted_at", "is", null).execute();
    expect(live).toHaveLength(60);
  });

  it("gives a person the next name when their best-named record moves to another email", async () => {
    const contact = (email: string, changedAt: string): SourceRecord => ({
      key: "c1",
      scope: "loc1",
      email,
      name: "Xavier",
      raw: { id: "c1", email },
      changedAt: at(changedAt),
    });
    await sync(t.kysely, ghlTable, [contact("x@example.com", "2026-01-01T00:00:00Z")]);
    await sync(t.kysely, whopTable, [payment(1, { email: "x@example.com", name: "X. W." })]);
    const name = async (email: string) =>
      (await t.kysely.selectFrom("users").select("name").where("email", "=", email).executeTakeFirstOrThrow())
        .name;
    expect(await name("x@example.com")).toBe("Xavier");
    await sync(t.kysely, ghlTable, [contact("y@example.com", "2026-02-01T00:00:00Z")]);
    expect(await name("y@example.com")).toBe("Xavier");
    expect(await name("x@example.com")).toBe("X. W.");
  });

  it("stores tombstones and unlinked records in a bulk batch, and makes no person for a tombstone", async () => {
    const records = batch(100).map((r, i) =>
      i % 10 === 0
        ? { ...r, email: `gone${i}@example.com`, deleted: true }
        : i % 10 === 1
        ? { ...r, email: "n/a" }
        : r
    );
    const result = await sync(t.kysely, whopTable, records, { chunkSize: 30 });
    expect(result).toMatchObject({ created: 100, failed: 0 });
    const rows = await sql<{ deleted: number; unlinked: number; gone_people: number }>`
      select (select count(*)::int from whop_data where deleted_at is not null) as deleted,
             (select count(*)::int from whop_data where user_id is null) as unlinked,
             (select count(*)::int from users where email like 'gone%') as gone_people`.execute(t.kysely);
    expect(rows.rows[0]).toEqual({ deleted: 10, unlinked: 20, gone_people: 0 });
  });

  it("lets runs of two sources race on the same new people: one person each, linked from both, HighLevel's name", async () => {
    const [whop, ghl] = await Promise.all([
      sync(t.kysely, whopTable, batch(400), { chunkSize: 40 }),
      sync(t.kysely, ghlTable, Array.from({ length: 200 }, (_, i) => contact(i)), { chunkSize: 20 }),
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
    await sync(t.kysely, whopTable, batch(60), { chunkSize: 20 });
    const tombstones = batch(60).slice(0, 55).map((r, i) => ({
      ...r,
      key: `refund_${i}`,
      changedAt: at("2026-02-01T00:00:00Z"),
      deleted: true,
    }));
    const result = await sync(t.kysely, whopTable, tombstones, { chunkSize: 20 });
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
      const result = await sync(t.kysely, whopTable, batch(120), { chunkSize: 50 });
      const { SyncRun } = await import("../../shared/sync/sync-run.ts");
      const run = await SyncRun.start(t.kysely, whopTable, { scope: "payment" });
      await run.write(batch(160).slice(120), []);
      const slice = await t.kysely.selectFrom("sync_logs").select(["commit_mode", "created"])
        .where("id", "=", run.id).executeTakeFirstOrThrow();
      await upsertRecords(t.kysely, whopTable, [payment(500)]);
      const modes = await sql<{ mode: string; n: number }>`
        select commit_mode as mode, count(*)::int as n from whop_data group by 1 order by 1`
        .execute(t.kysely);
      expect(modes.rows).toEqual([{ mode: "off", n: 160 }, { mode: "on", n: 1 }]);
      // Each run's last word is an ordinary commit, which flushes its chunks to disk before it.
      const log = await t.kysely.selectFrom("sync_logs").select(["status", "created", "commit_mode"])
        .where("id", "=", result.syncLogId!).executeTakeFirstOrThrow();
      expect(log).toEqual({ status: "SUCCESS", created: 120, commit_mode: "on" });
      expect(slice).toEqual({ commit_mode: "on", created: 40 });
    } finally {
      await sql`drop trigger note_commit_mode on sync_logs`.execute(t.kysely);
      await sql`drop function note_commit_mode()`.execute(t.kysely);
      await sql`alter table sync_logs drop column commit_mode`.execute(t.kysely);
      await sql`alter table whop_data drop column commit_mode`.execute(t.kysely);
    }
  });

  it("tries a chunk again whole when a deadlock interrupts it, not record by record", async () => {
    // A one-shot trigger fails the insert of pay_00120 as Postgres fails a deadlock's victim.
    await sql`create sequence deadlock_once`.execute(t.kysely);
    await sql.raw(`
      create function deadlock_once() returns trigger language plpgsql as $$
      begin
        if new.external_whop_id = 'pay_00120' and nextval('deadlock_once') = 1 then
          raise exception 'deadlock detected' using errcode = '40P01';
        end if;
        return new;
      end $$`).execute(t.kysely);
    await sql`create trigger deadlock_once before insert on whop_data for each row execute function deadlock_once()`
      .execute(t.kysely);
    try {
      let statements = 0;
      const counted = new Kysely<Database>({
        dialect: new PostgresJSDialect({ postgres: t.sql }),
        log: (event) => void (event.level === "query" && statements++),
      });
      const result = await sync(counted, whopTable, batch(200), { chunkSize: 100 });
      expect(result).toMatchObject({ created: 200, failed: 0, status: "SUCCESS" });
      const fired = await sql<{ n: number }>`select last_value::int as n from deadlock_once`.execute(t.kysely);
      expect(fired.rows[0].n).toBe(2); // the interrupted try and the one that went through
      const linked = await sql<{ n: number }>`
        select count(*)::int as n from whop_data w join users u on u.id = w.user_id and u.email = w.email`
        .execute(t.kysely);
      expect(linked.rows[0].n).toBe(200);
      // Record by record would be hundreds of statements; trying again is one more transaction.
      expect(statements).toBeLessThan(40);
    } finally {
      await sql`drop trigger deadlock_once on whop_data`.execute(t.kysely);
      await sql`drop function deadlock_once()`.execute(t.kysely);
      await sql`drop sequence deadlock_once`.execute(t.kysely);
    }
  });
});
