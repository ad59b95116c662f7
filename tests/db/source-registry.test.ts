import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { functionNames, sources } from "../../shared/sources/registry.ts";

// The registry in TypeScript and the one in SQL (customer_sync_sources) describe the same sources,
// and a fifth source added by one migration call counts everywhere.
let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe("the source registry", () => {
  it("agrees with customer_sync_sources, source for source", async () => {
    const rows = await t.sql<Record<string, unknown>[]>`
      select name, table_name, key_column, scope_column, raw_column, revenue_column
      from customer_sync_sources order by position`;
    expect(rows).toEqual(sources.map((s) => ({
      name: s.name,
      table_name: s.table.table,
      key_column: s.table.keyColumn,
      scope_column: s.table.scopeColumn,
      raw_column: s.table.rawColumn,
      revenue_column: s.revenueColumn,
    })));
    for (const s of sources) expect(s.table.source).toBe(s.name);
  });

  it("gives every function one source, one folder and one config.toml section", () => {
    const names = functionNames();
    expect(new Set(names).size).toBe(names.length);
    const folders = readdirSync("functions", { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => d.name).sort();
    expect(folders).toEqual(names);
    const config = readFileSync("supabase/config.toml", "utf8");
    for (const name of names) expect(config).toContain(`[functions.${name}]`);
  });

  it("counts a fifth source's revenue and names once one migration call registers it", async () => {
    const rollback = new Error("roll back: leave the shared database as the migrations made it");
    const outcome = t.sql.begin(async (tx) => {
      await tx`select customer_sync_add_source('STRIPE', 'stripe_data', 'external_stripe_id', 'kind',
                                               'raw_data', 5, 'stripe_usd')`;
      const [user] = await tx<
        { id: string }[]
      >`insert into users (email) values ('ada@example.com') returning id`;
      await tx`insert into stripe_data (user_id, external_stripe_id, kind, name, raw_data, amount, currency,
                                        is_revenue, date, source_updated_at)
               values (${user.id}, 'ch_1', 'charge', 'Ada', '{}', 120.50, 'usd', true,
                       '2026-11-03T10:00:00Z', now())`;
      await tx`insert into sync_logs (source, status) values ('STRIPE', 'SUCCESS')`;
      const [row] = await tx`select stripe_usd, total_usd from revenue_by_user where user_id = ${user.id}`;
      expect(row).toEqual({ stripe_usd: "120.50", total_usd: "120.50" });
      const months = await tx`select month::text, source, net_usd from revenue_by_month`;
      expect(months).toEqual([{ month: "2026-11-01", source: "STRIPE", net_usd: "120.50" }]);
      const [named] = await tx`select name from person_names where user_id = ${user.id}`;
      expect(named.name).toBe("Ada");
      const [rls] = await tx`select relrowsecurity from pg_class where relname = 'stripe_data'`;
      expect(rls.relrowsecurity).toBe(true);
      throw rollback;
    });
    await expect(outcome).rejects.toBe(rollback);
    const [gone] = await t.sql`select to_regclass('public.stripe_data') as t`;
    expect(gone.t).toBeNull();
  });

  it("reads a refund row without its sale as a refund only where the source says so (sales sheets)", async () => {
    const rollback = new Error("roll back");
    const outcome = t.sql.begin(async (tx) => {
      const [user] = await tx<{ id: string }[]>`insert into users (email) values ('rae@example.com') returning id`;
      // A sheet row of -50: no amount, refunded 50. A Whop payment whose totals are all missing,
      // with a refund: its USD gross is unknown, so it is listed apart, never a negative sale.
      await tx`insert into sheet_data (user_id, source_url, row_hash, data, refunded_amount, is_revenue,
                                       date, source_updated_at)
               values (${user.id}, 'https://sheet', 'h1', '{}', 50, true, '2026-11-03T10:00:00Z', now())`;
      await tx`insert into whop_data (user_id, external_whop_id, kind, raw_data, refunded_amount, is_revenue,
                                      date, source_updated_at)
               values (${user.id}, 'pay_nulls', 'payment', '{}', 10, true, '2026-11-03T10:00:00Z', now())`;
      const [row] = await tx`select whop_usd, sheet_usd from revenue_by_user where user_id = ${user.id}`;
      expect(row).toEqual({ whop_usd: "0.00", sheet_usd: "-50.00" });
      const months = await tx`select source, gross_usd, refunded_usd from revenue_by_month order by source`;
      expect(months).toEqual([{ source: "SHEET", gross_usd: "0.00", refunded_usd: "50.00" }]);
      const [apart] = await tx`select source, records from revenue_unconverted`;
      expect(apart).toMatchObject({ source: "WHOP", records: "1" });
      throw rollback;
    });
    await expect(outcome).rejects.toBe(rollback);
  });

  it("refuses a run of a source nobody registered", async () => {
    await expect(t.sql`insert into sync_logs (source, status) values ('NOPE', 'SUCCESS')`)
      .rejects.toThrow(/foreign key/);
  });
});
