/**
 * Scenario 5, revenue views: `revenue_by_month` and `revenue_by_user` over a million source rows,
 * each beside a plain `sum()` of a numeric column over the same rows, timed in the same run.
 */
import type postgres from "postgres";
import type { BenchContext } from "./context.ts";
import { withBenchDatabase } from "./bench-database.ts";
import { median, ms, num, ratioCheck, type ScenarioResult } from "./report.ts";

export const REVENUE = "5 revenue views";

/** The queries timed: what a dashboard asks of each view, and the baseline over the same rows. */
const QUERIES = {
  baseline: `select sum(amount) from (
      select amount from whop_data union all select amount from ghl_data
      union all select amount from sheet_data union all select amount from elective_data) rows`,
  byMonth: `select * from revenue_by_month order by month, source`,
  byUser: `select * from revenue_by_user order by total_usd desc limit 100`,
} as const;

type QueryName = keyof typeof QUERIES;

/** How the rows split across sources and kinds (shares of the total). */
const MIX = { payments: 0.6, refunds: 0.05, memberships: 0.05, sheet: 0.2, elective: 0.1 };

export async function revenueViews(ctx: BenchContext): Promise<ScenarioResult> {
  const n = ctx.sizes.viewRows;
  return await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_views`, async (db) => {
    const conn = db.open({ max: 1, applicationName: "cs-bench-views" });
    try {
      ctx.log(`${REVENUE}: loading ${num(n)} source rows`);
      const counts = await loadViewRows(conn.sql, n);
      ctx.log(`${REVENUE}: timing each query ${ctx.sizes.viewRepeats} times, interleaved`);
      const times = await timeQueries(conn.sql, ctx.sizes.viewRepeats);
      const plans: Record<string, string> = {};
      for (const name of ["byMonth", "byUser"] as const) plans[name] = await explain(conn.sql, QUERIES[name]);
      const base = median(times.baseline);
      const month = median(times.byMonth);
      const user = median(times.byUser);
      const baseline = `sum() ${ms(base)}`;
      return {
        name: REVENUE,
        checks: [
          ratioCheck(REVENUE, `revenue_by_month ${ms(month)}`, baseline, month / base, { atMost: 3 }),
          ratioCheck(REVENUE, `revenue_by_user ${ms(user)}`, baseline, user / base, { atMost: 3 }),
        ],
        measurements: {
          rows: n,
          counts,
          medianMs: { baseline: base, byMonth: month, byUser: user },
          runsMs: times,
          queries: QUERIES,
          plans,
        },
        notes: [
          `views (5): ${num(n)} rows (Whop payments ${pct(MIX.payments)}, refunds ${
            pct(MIX.refunds)
          }, memberships ` +
          `${pct(MIX.memberships)}, sheet ${pct(MIX.sheet)}, Elective ${
            pct(MIX.elective)
          }; 2% soft-deleted; ` +
          `${
            num(counts.users)
          } people), vacuumed and analysed; median of ${ctx.sizes.viewRepeats} interleaved runs ` +
          `after a warm-up. Queries: \`${QUERIES.byMonth}\`, \`${QUERIES.byUser}\`; baseline: sum(amount) over ` +
          `the union of the four source tables (the same rows).`,
        ],
      };
    } finally {
      await conn.close();
    }
  });
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** Fills users and the source tables with `n` rows in SQL, deterministically, then vacuums and analyses. */
export async function loadViewRows(sql: postgres.Sql, n: number): Promise<Record<string, number>> {
  const people = Math.max(1, Math.round(n / 4));
  const payments = Math.round(n * MIX.payments);
  const refunds = Math.round(n * MIX.refunds);
  const memberships = Math.round(n * MIX.memberships);
  const sheet = Math.round(n * MIX.sheet);
  const elective = n - payments - refunds - memberships - sheet;
  // Ids derived from the person number, so source rows can name their person without a join.
  await sql.unsafe(`
    insert into users (id, email, name)
    select md5('u' || k)::uuid, 'customer.' || k || '@example.com', 'Customer ' || k
    from generate_series(0, ${people - 1}) k`);
  // Whop payments: 90% USD, 7% EUR with Whop's usd_total, 3% EUR without (unconverted).
  await sql.unsafe(`
    insert into whop_data (user_id, external_whop_id, kind, email, name, raw_data, amount, currency, amount_usd,
                           is_revenue, date, source_updated_at, deleted_at)
    select md5('u' || (g % ${people}))::uuid, 'pay_' || g, 'payment', 'customer.' || (g % ${people}) || '@example.com',
           'Customer ' || (g % ${people}),
           jsonb_build_object(
             'id', 'pay_' || g, 'status', 'paid', 'substatus', 'succeeded', 'billing_reason', 'subscription_cycle',
             'currency', lower(cur), 'subtotal', amt, 'total', amt, 'usd_total', usd, 'amount_after_fees', round(amt * 0.92, 2),
             'refunded_amount', null, 'tax_amount', 0, 'created_at', d, 'updated_at', d, 'paid_at', d,
             'product', jsonb_build_object('id', 'prod_' || (g % 5), 'title', 'Product ' || (g % 5)),
             'plan', jsonb_build_object('id', 'plan_' || (g % 40)),
             'membership', jsonb_build_object('id', 'mem_' || (g % ${people}), 'status', 'active'),
             'user', jsonb_build_object('id', 'user_' || (g % ${people}), 'name', 'Customer ' || (g % ${people}),
                                        'username', 'customer' || (g % ${people}),
                                        'email', 'customer.' || (g % ${people}) || '@example.com'),
             'refunds', '[]'::jsonb),
           amt, cur, usd, true, d, d, case when g % 50 = 0 then d end
    from (
      select g, ((g::bigint * 7919) % 49100 + 900) / 100.0 as amt,
             case when g % 100 < 90 then 'USD' else 'EUR' end as cur,
             timestamptz '2024-01-01 00:00:00+00' + (g % 730) * interval '1 day' + (g % 86400) * interval '1 second' as d
      from generate_series(1, ${payments}) g
    ) p,
    lateral (select case when cur = 'USD' then amt when g % 100 < 97 then round(amt * 1.08, 2) end as usd) u`);
  // Refunds of some payments, stated as refund objects (Whop's other way of reporting them).
  await sql.unsafe(`
    insert into whop_data (user_id, external_whop_id, kind, parent_key, email, raw_data, currency, refunded_amount,
                           is_revenue, date, source_updated_at)
    select md5('u' || (p % ${people}))::uuid, 'rf_' || g, 'refund', 'pay_' || p, 'customer.' || (p % ${people}) || '@example.com',
           jsonb_build_object('id', 'rf_' || g, 'status', 'succeeded', 'amount', 5, 'currency', 'usd', 'payment', jsonb_build_object('id', 'pay_' || p),
                              'created_at', timestamptz '2024-02-01 00:00:00+00' + (g % 700) * interval '1 day'),
           'USD', 5, false, timestamptz '2024-02-01 00:00:00+00' + (g % 700) * interval '1 day', now()
    from generate_series(1, ${refunds}) g, lateral (select (g::bigint * 13) % ${payments} + 1 as p) x`);
  await sql.unsafe(`
    insert into whop_data (user_id, external_whop_id, kind, email, name, raw_data, is_revenue, date, source_updated_at)
    select md5('u' || (g % ${people}))::uuid, 'mem_' || g, 'membership', 'customer.' || (g % ${people}) || '@example.com',
           'Customer ' || (g % ${people}),
           jsonb_build_object('id', 'mem_' || g, 'status', 'active', 'created_at', now(), 'user',
                              jsonb_build_object('id', 'user_' || (g % ${people}), 'email', 'customer.' || (g % ${people}) || '@example.com')),
           false, now(), now()
    from generate_series(1, ${memberships}) g`);
  for (
    const [table, rows, url] of [[
      "sheet_data",
      sheet,
      "https://docs.google.com/spreadsheets/d/bench/export?format=csv",
    ], ["elective_data", elective, "elective:bench.csv"]] as const
  ) {
    await sql.unsafe(`
      insert into ${table} (user_id, source_url, row_hash, email, name, data, amount, currency, is_revenue, date,
                            source_updated_at, deleted_at)
      select md5('u' || (g % ${people}))::uuid, '${url}', md5('${table}' || g), 'customer.' || (g % ${people}) || '@example.com',
             'Customer ' || (g % ${people}),
             jsonb_build_object('Email', 'customer.' || (g % ${people}) || '@example.com', 'Name', 'Customer ' || (g % ${people}),
                                'Amount', '$' || amt, 'Date', to_char(d, 'YYYY-MM-DD'), 'Product', 'Coaching ' || (g % 7)),
             amt, 'USD', true, d, d, case when g % 50 = 0 then d end
      from (select g, ((g::bigint * 104729) % 99000 + 1000) / 100.0 as amt,
                   timestamptz '2024-01-01 00:00:00+00' + (g % 730) * interval '1 day' as d
            from generate_series(1, ${rows}) g) s`);
  }
  await sql.unsafe("vacuum analyze");
  return { users: people, payments, refunds, memberships, sheet, elective };
}

/** Runs each query once to warm up, then `repeats` rounds of all queries in turn. */
async function timeQueries(sql: postgres.Sql, repeats: number): Promise<Record<QueryName, number[]>> {
  const names = Object.keys(QUERIES) as QueryName[];
  const times = { baseline: [], byMonth: [], byUser: [] } as Record<QueryName, number[]>;
  for (const name of names) await sql.unsafe(QUERIES[name]);
  for (let round = 0; round < repeats; round++) {
    for (const name of names) {
      const start = performance.now();
      await sql.unsafe(QUERIES[name]);
      times[name].push(performance.now() - start);
    }
  }
  return times;
}

async function explain(sql: postgres.Sql, query: string): Promise<string> {
  const rows = await sql.unsafe<{ "QUERY PLAN": string }[]>(`explain (analyze, buffers) ${query}`);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}
