/**
 * The engine on batches big enough for its bulk path (an empty table takes plain inserts; records
 * are prepared chunk by chunk and travel as one list per field): what comes back out of the
 * database is exactly what went in, bad records fail alone, and full syncs never delete a row a
 * refused or keyless record might stand for.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { SyncRun } from "../../shared/sync/sync-run.ts";
import type { SourceRecord } from "../../shared/sync/record.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";
import { ghlTable } from "../../shared/sources/ghl/table.ts";
import { at, batch, payment } from "./batch-records.ts";

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
    const result = await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 50 });
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
    await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 30 });
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
    const again = await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 30 });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 80 });
  });

  it("fails a record the database refuses alone, with its reason, in a batch into an empty table", async () => {
    const records = batch(120);
    // A lone surrogate serialises as \ud800, which jsonb refuses.
    records[70] = payment(70, { raw: { id: "pay_70", broken: "\ud800" } });
    const result = await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 50 });
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

  it("writes the newest valid version of a repeated key, and fails an invalid newer one alone", async () => {
    const records = [
      ...batch(60),
      payment(5, { raw: { v: "newer" }, changedAt: at("2026-02-01T00:00:00Z") }),
      payment(5, { raw: { v: "newest but broken" }, amount: "ten", changedAt: at("2026-03-01T00:00:00Z") }),
    ];
    const result = await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 25 });
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
    await SyncRun.once(t.kysely, whopTable, records, { full: true, scope: "payment" });
    const again = records.map((r, i) => (i === 10 ? { ...r, amount: "12,50" } : r));
    const result = await SyncRun.once(t.kysely, whopTable, again.slice(0, 79), {
      full: true,
      scope: "payment",
    });
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
    await SyncRun.once(t.kysely, ghlTable, contacts(60), { full: true, scope: "loc1" });
    const keyless = { ...contacts(1)[0], key: "" };
    const result = await SyncRun.once(t.kysely, ghlTable, [...contacts(50), keyless], {
      full: true,
      scope: "loc1",
    });
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
    await SyncRun.once(t.kysely, ghlTable, [contact("x@example.com", "2026-01-01T00:00:00Z")]);
    await SyncRun.once(t.kysely, whopTable, [payment(1, { email: "x@example.com", name: "X. W." })]);
    const name = async (email: string) =>
      (await t.kysely.selectFrom("users").select("name").where("email", "=", email).executeTakeFirstOrThrow())
        .name;
    expect(await name("x@example.com")).toBe("Xavier");
    await SyncRun.once(t.kysely, ghlTable, [contact("y@example.com", "2026-02-01T00:00:00Z")]);
    expect(await name("y@example.com")).toBe("Xavier");
    expect(await name("x@example.com")).toBe("X. W.");
  });

  it("names a new person after their newest record when one run carries two names for them", async () => {
    const records = batch(120).map((r, i) =>
      i === 3 ? { ...r, name: "Newer Name", changedAt: at("2026-03-01T00:00:00Z") } : r
    );
    await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 50 });
    const names = await sql<{ email: string; name: string }>`
      select email, name from users where email in ('buyer3@example.com', 'buyer4@example.com') order by email`
      .execute(t.kysely);
    expect(names.rows).toEqual([
      { email: "buyer3@example.com", name: "Newer Name" },
      { email: "buyer4@example.com", name: "Buyer 4" },
    ]);
  });

  it("stores tombstones and unlinked records in a bulk batch, and makes no person for a tombstone", async () => {
    const records = batch(100).map((r, i) =>
      i % 10 === 0
        ? { ...r, email: `gone${i}@example.com`, deleted: true }
        : i % 10 === 1
        ? { ...r, email: "n/a" }
        : r
    );
    const result = await SyncRun.once(t.kysely, whopTable, records, { chunkSize: 30 });
    expect(result).toMatchObject({ created: 100, failed: 0 });
    const rows = await sql<{ deleted: number; unlinked: number; gone_people: number }>`
      select (select count(*)::int from whop_data where deleted_at is not null) as deleted,
             (select count(*)::int from whop_data where user_id is null) as unlinked,
             (select count(*)::int from users where email like 'gone%') as gone_people`.execute(t.kysely);
    expect(rows.rows[0]).toEqual({ deleted: 10, unlinked: 20, gone_people: 0 });
  });
});
