import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { upsertRecords } from "../../shared/sync/engine.ts";
import { SyncRun } from "../../shared/sync/sync-run.ts";
import type { SourceRecord } from "../../shared/sync/record.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";
import { ghlTable } from "../../shared/sources/ghl/table.ts";
import { sheetTable } from "../../shared/sources/sheets/table.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data, ghl_data, sheet_data, elective_data, sync_logs cascade`.execute(
    t.kysely,
  );
});

const at = (s: string) => new Date(s);
function whop(key: string, over: Partial<SourceRecord> = {}): SourceRecord {
  return {
    key,
    scope: "payment",
    email: `${key}@example.com`,
    name: `Whop ${key}`,
    raw: { id: key, v: 1 },
    changedAt: at("2026-01-01T00:00:00Z"),
    amount: "10.00",
    currency: "USD",
    amountUsd: "10.00",
    revenue: true,
    ...over,
  };
}

describe("sync engine", () => {
  it("creates one user per email across sources and links both rows to it", async () => {
    await SyncRun.once(t.kysely, whopTable, [whop("p1", { email: " Jane@Example.com " })]);
    await SyncRun.once(t.kysely, ghlTable, [
      {
        key: "c1",
        scope: "loc1",
        email: "jane@example.com",
        name: "Jane G",
        raw: { id: "c1" },
        changedAt: null,
      },
    ]);
    const users = await t.kysely.selectFrom("users").selectAll().execute();
    expect(users.map((u) => u.email)).toEqual(["jane@example.com"]);
    const w = await t.kysely.selectFrom("whop_data").select("user_id").executeTakeFirstOrThrow();
    const g = await t.kysely.selectFrom("ghl_data").select("user_id").executeTakeFirstOrThrow();
    expect(w.user_id).toBe(users[0].id);
    expect(g.user_id).toBe(users[0].id);
  });

  it("reports created, updated and unchanged and rewrites nothing on a re-sync", async () => {
    const records = Array.from({ length: 50 }, (_, i) => whop(`p${i}`));
    const first = await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 7 });
    expect(first).toMatchObject({ created: 50, updated: 0, unchanged: 0, failed: 0, status: "SUCCESS" });
    const before = await t.kysely.selectFrom("whop_data").select(["id", "updated_at"]).orderBy("id")
      .execute();
    const second = await SyncRun.once(
      t.kysely,
      whopTable,
      records.map((r) => ({ ...r, changedAt: at("2026-02-01T00:00:00Z") })),
    );
    expect(second).toMatchObject({ created: 0, updated: 0, unchanged: 50 });
    const after = await t.kysely.selectFrom("whop_data").select(["id", "updated_at"]).orderBy("id").execute();
    expect(after).toEqual(before);
    const changed = await SyncRun.once(t.kysely, whopTable, [
      whop("p3", { raw: { id: "p3", v: 2 }, changedAt: at("2026-03-01T00:00:00Z") }),
    ]);
    expect(changed).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
  });

  it("keeps the newer state when an older change arrives late", async () => {
    await upsertRecords(t.kysely, whopTable, [
      whop("p1", { raw: { v: "new" }, changedAt: at("2026-05-01T00:00:00Z") }),
    ]);
    const late = await upsertRecords(t.kysely, whopTable, [
      whop("p1", { raw: { v: "old" }, changedAt: at("2026-04-01T00:00:00Z") }),
    ]);
    expect(late.unchanged).toBe(1);
    const row = await t.kysely.selectFrom("whop_data").select("raw_data").executeTakeFirstOrThrow();
    expect(row.raw_data).toEqual({ v: "new" });
    // A tie with different content is a real change (two events in the same second).
    await upsertRecords(t.kysely, whopTable, [
      whop("p1", { raw: { v: "same-second" }, changedAt: at("2026-05-01T00:00:00Z") }),
    ]);
    const tie = await t.kysely.selectFrom("whop_data").select("raw_data").executeTakeFirstOrThrow();
    expect(tie.raw_data).toEqual({ v: "same-second" });
  });

  it("fails one bad record alone and logs the run as PARTIAL", async () => {
    const result = await SyncRun.once(t.kysely, whopTable, [
      whop("good1"),
      whop("bad", { amount: "12,50" }),
      whop("good2"),
      { ...whop("nul"), raw: { text: "a\u0000b" } },
    ]);
    expect(result).toMatchObject({ created: 2, failed: 2, status: "PARTIAL" });
    expect(result.errors.map((e) => e.key).sort()).toEqual(["bad", "nul"]);
    const log = await t.kysely.selectFrom("sync_logs").selectAll().executeTakeFirstOrThrow();
    expect(log).toMatchObject({ status: "PARTIAL", created: 2, failed: 2 });
    expect(log.error_message).toMatch(/2 record\(s\) failed/);
    expect(log.errors).toEqual([
      { key: "bad", reason: expect.stringMatching(/not an exact decimal/) },
      { key: "nul", reason: expect.stringMatching(/NUL/) },
    ]);
  });

  it("keeps a record without an email unlinked and links it when a later version has one", async () => {
    await SyncRun.once(t.kysely, ghlTable, [{
      key: "c9",
      scope: "loc",
      email: "not an email",
      name: "X",
      raw: { a: 1 },
      changedAt: at("2026-01-01T00:00:00Z"),
    }]);
    let row = await t.kysely.selectFrom("ghl_data").selectAll().executeTakeFirstOrThrow();
    expect(row.user_id).toBeNull();
    expect(await t.kysely.selectFrom("users").selectAll().execute()).toHaveLength(0);
    await SyncRun.once(t.kysely, ghlTable, [{
      key: "c9",
      scope: "loc",
      email: "x@example.com",
      name: "X",
      raw: { a: 2 },
      changedAt: at("2026-01-02T00:00:00Z"),
    }]);
    row = await t.kysely.selectFrom("ghl_data").selectAll().executeTakeFirstOrThrow();
    const user = await t.kysely.selectFrom("users").selectAll().executeTakeFirstOrThrow();
    expect(row.user_id).toBe(user.id);
    // The email changes: the record moves to the person with the new email.
    await SyncRun.once(t.kysely, ghlTable, [{
      key: "c9",
      scope: "loc",
      email: "y@example.com",
      name: "X",
      raw: { a: 3 },
      changedAt: at("2026-01-03T00:00:00Z"),
    }]);
    row = await t.kysely.selectFrom("ghl_data").selectAll().executeTakeFirstOrThrow();
    const y = await t.kysely.selectFrom("users").selectAll().where("email", "=", "y@example.com")
      .executeTakeFirstOrThrow();
    expect(row.user_id).toBe(y.id);
  });

  it("prefers HighLevel's name over Whop's over a sheet's, and falls back when it is soft-deleted", async () => {
    const email = "p@example.com";
    await SyncRun.once(t.kysely, sheetTable, [{
      key: "h1",
      scope: "s1",
      email,
      name: "Sheet Name",
      raw: { r: 1 },
      changedAt: null,
    }]);
    const name = async () =>
      (await t.kysely.selectFrom("users").select("name").executeTakeFirstOrThrow()).name;
    expect(await name()).toBe("Sheet Name");
    await SyncRun.once(t.kysely, ghlTable, [{
      key: "c1",
      scope: "loc",
      email,
      name: "GHL Name",
      raw: { r: 1 },
      changedAt: null,
    }]);
    expect(await name()).toBe("GHL Name");
    await SyncRun.once(t.kysely, whopTable, [whop("p1", { email, name: "Whop Name" })]);
    expect(await name()).toBe("GHL Name");
    await SyncRun.once(t.kysely, ghlTable, [{
      key: "c1",
      scope: "loc",
      email,
      name: "GHL Name",
      raw: { r: 1 },
      changedAt: at("2030-01-01T00:00:00Z"),
      deleted: true,
    }]);
    expect(await name()).toBe("Whop Name");
  });

  it("soft-deletes what a full sync no longer contains and revives what comes back", async () => {
    const all = ["a", "b", "c", "d"].map((k) => whop(k));
    await SyncRun.once(t.kysely, whopTable, all, { full: true, scope: "payment" });
    const r = await SyncRun.once(t.kysely, whopTable, all.slice(0, 3), { full: true, scope: "payment" });
    expect(r.deleted).toBe(1);
    const d = await t.kysely.selectFrom("whop_data").select("deleted_at").where("external_whop_id", "=", "d")
      .executeTakeFirstOrThrow();
    expect(d.deleted_at).not.toBeNull();
    const back = await SyncRun.once(t.kysely, whopTable, all, { full: true, scope: "payment" });
    expect(back).toMatchObject({ updated: 1, deleted: 0 });
    const live = await t.kysely.selectFrom("whop_data").select("id").where("deleted_at", "is", null)
      .execute();
    expect(live).toHaveLength(4);
  });

  it("refuses to soft-delete more than half a scope unless forced, and says so in the log", async () => {
    const all = ["a", "b", "c", "d"].map((k) => whop(k));
    await SyncRun.once(t.kysely, whopTable, all, { full: true, scope: "payment" });
    const refused = await SyncRun.once(t.kysely, whopTable, [], { full: true, scope: "payment" });
    expect(refused).toMatchObject({
      deleted: 0,
      status: "PARTIAL",
      deleteRefused: { wouldDelete: 4, live: 4 },
    });
    const log = await t.kysely.selectFrom("sync_logs").selectAll().where("id", "=", refused.syncLogId!)
      .executeTakeFirstOrThrow();
    expect(log.error_message).toMatch(/safety valve/);
    const forced = await SyncRun.once(t.kysely, whopTable, [], { full: true, scope: "payment", force: true });
    expect(forced.deleted).toBe(4);
  });

  it("marks a run left RUNNING by a dead process as FAILED on the next run", async () => {
    await sql`insert into sync_logs (source, status, pid, lease_until) values ('WHOP', 'RUNNING', null, now() - interval '1 minute')`
      .execute(t.kysely);
    await SyncRun.once(t.kysely, whopTable, [whop("x")]);
    const logs = await t.kysely.selectFrom("sync_logs").selectAll().orderBy("started_at").execute();
    expect(logs[0].status).toBe("FAILED");
    expect(logs[0].error_message).toMatch(/interrupted/);
    expect(logs[1].status).toBe("SUCCESS");
  });

  it("creates exactly one user when two hundred webhook writes race on the same new email", async () => {
    await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          upsertRecords(t.kysely, whopTable, [
            whop(`race${i}`, { email: "same@example.com" }),
            whop(`other${i}`, { email: `o${i % 3}@example.com` }),
          ]),
      ),
    );
    const users = await t.kysely.selectFrom("users").select("email").execute();
    expect(users.map((u) => u.email).sort()).toEqual([
      "o0@example.com",
      "o1@example.com",
      "o2@example.com",
      "same@example.com",
    ]);
    const rows = await t.kysely.selectFrom("whop_data").select("user_id").where("user_id", "is", null)
      .execute();
    expect(rows).toHaveLength(0);
    expect(await t.kysely.selectFrom("whop_data").select("id").execute()).toHaveLength(400);
  });
});

describe("sliced sync runs", () => {
  it("accumulates counts over slices and soft-deletes only after a complete read", async () => {
    await SyncRun.once(t.kysely, whopTable, ["a", "b", "c", "d"].map((k) => whop(k)), {
      full: true,
      scope: "payment",
    });
    const run = await SyncRun.start(t.kysely, whopTable, { scope: "payment", full: true });
    await run.write([whop("a"), whop("b")]);
    const resumed = await SyncRun.resume(t.kysely, whopTable, run.id, { scope: "payment", full: true });
    await resumed!.write([whop("c"), whop("e")]);
    const incomplete = await resumed!.finish({ complete: false });
    expect(incomplete).toMatchObject({ status: "FAILED", deleted: 0, created: 1, unchanged: 3 });
    expect(await t.kysely.selectFrom("whop_data").select("id").where("deleted_at", "is not", null).execute())
      .toHaveLength(0);

    const again = await SyncRun.start(t.kysely, whopTable, { scope: "payment", full: true });
    await again.write([whop("a"), whop("b"), whop("c"), whop("e")]);
    const done = await again.finish({ complete: true });
    expect(done).toMatchObject({ status: "SUCCESS", deleted: 1 });
    const gone = await t.kysely.selectFrom("whop_data").select("external_whop_id").where(
      "deleted_at",
      "is not",
      null,
    ).execute();
    expect(gone.map((r) => r.external_whop_id)).toEqual(["d"]);
    expect(await t.kysely.selectFrom("sync_run_keys").selectAll().execute()).toHaveLength(0);
  });
});

describe("re-sync cost", () => {
  it("rewrites no row, not even a lock, when the same records come again", async () => {
    const records = Array.from({ length: 300 }, (_, i) => whop(`r${i}`));
    await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 50 });
    const xmax = async () =>
      (await sql<{ x: string }>`select string_agg(xmax::text, ',' order by id) as x from whop_data`.execute(
        t.kysely,
      ))
        .rows[0].x;
    const before = await xmax();
    const again = await SyncRun.once(
      t.kysely,
      whopTable,
      records.map((r) => ({ ...r, raw: { v: 1, id: r.key } })),
      { chunkSize: 50 },
    );
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 300 });
    // xmax changes when ON CONFLICT locks a row it then leaves alone; unchanged records never get there.
    expect(await xmax()).toBe(before);
  });
});
