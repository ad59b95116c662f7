import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { SyncRun } from "../../shared/sync/sync-run.ts";
import type { SourceRecord } from "../../shared/sync/record.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";
import { ghlTable } from "../../shared/sources/ghl/table.ts";
import { sheetTable } from "../../shared/sources/sheets/table.ts";
import { electiveTable } from "../../shared/sources/elective/table.ts";

// A generated business: a few thousand people buying through every source, with refunds, failed
// payments, foreign currencies and deletions. The expected revenue is computed here in integer
// cents, independently of the SQL, and must match the views to the cent.

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}
const rand = rng(42);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
const cents = (c: bigint) =>
  `${c < 0n ? "-" : ""}${(c < 0n ? -c : c) / 100n}.${String((c < 0n ? -c : c) % 100n).padStart(2, "0")}`;
/** Postgres round(numeric, 2) of num/den cents: half away from zero. */
const divRound = (num: bigint, den: bigint) => (2n * num + den) / (2n * den);

const PEOPLE = 2500;
const emails = Array.from({ length: PEOPLE }, (_, i) => `person${i}@example.com`);
const months = ["2026-01", "2026-02", "2026-03", "2026-04"];
const dateIn = (m: string) =>
  new Date(`${m}-${String(1 + Math.floor(rand() * 27)).padStart(2, "0")}T12:00:00Z`);

type Expect = {
  byUser: Map<string, Record<string, bigint>>;
  byMonth: Map<string, { gross: bigint; refunded: bigint }>;
};
const expected: Expect = { byUser: new Map(), byMonth: new Map() };
function count(email: string, source: string, month: string, gross: bigint, refunded: bigint) {
  const u = expected.byUser.get(email) ?? {};
  u[source] = (u[source] ?? 0n) + gross - refunded;
  expected.byUser.set(email, u);
  const k = `${month}|${source}`;
  const m = expected.byMonth.get(k) ?? { gross: 0n, refunded: 0n };
  m.gross += gross;
  m.refunded += refunded;
  expected.byMonth.set(k, m);
}

const whop: SourceRecord[] = [];
const refunds: SourceRecord[] = [];
const sheets: SourceRecord[] = [];
const elective: SourceRecord[] = [];
const ghl: SourceRecord[] = [];
const deletedSheetKeys = new Set<string>();

for (let i = 0; i < 3500; i++) {
  const email = pick(emails);
  const month = pick(months);
  const status = pick(["paid", "paid", "paid", "failed", "pending"]);
  const currency = pick(["usd", "usd", "eur"]);
  const total = BigInt(100 + Math.floor(rand() * 50000)); // cents in the payment's currency
  const usd = currency === "usd" ? total : (total * 108n) / 100n;
  const refundedOnPayment = status === "paid" && rand() < 0.1 ? total / 2n : 0n;
  const key = `pay_${i}`;
  whop.push({
    key,
    scope: "payment",
    email,
    name: `Whop ${email}`,
    raw: { id: key, status },
    changedAt: dateIn(month),
    amount: cents(total),
    currency: currency.toUpperCase(),
    amountUsd: cents(usd),
    refunded: cents(refundedOnPayment),
    revenue: status === "paid",
    date: dateIn(month),
  });
  if (status !== "paid") continue;
  // Some payments also get refund objects; the larger of the two views of the refund counts.
  let refundObjects = 0n;
  if (rand() < 0.1) {
    const amount = total / 4n;
    const succeeded = rand() < 0.8;
    refunds.push({
      key: `rf_${i}`,
      scope: "refund",
      email: null,
      name: null,
      raw: { id: `rf_${i}`, succeeded },
      changedAt: dateIn(month),
      parentKey: key,
      refunded: succeeded ? cents(amount) : "0",
      revenue: false,
    });
    if (succeeded) refundObjects = amount;
  }
  const refunded = refundObjects > refundedOnPayment ? refundObjects : refundedOnPayment;
  count(email, "WHOP", month, usd, divRound(refunded * usd, total));
}

for (let i = 0; i < 2000; i++) {
  const email = pick(emails);
  const month = pick(months);
  const currency = pick([null, "USD", "USD", "GBP"]);
  const amount = BigInt(Math.floor(rand() * 90000) - 5000); // a few negative rows (corrections)
  const key = `row_${i}`;
  sheets.push({
    key,
    scope: "https://sheet.example/1",
    email,
    name: `Sheet ${email}`,
    raw: { row: i },
    changedAt: null,
    amount: cents(amount),
    currency,
    revenue: true,
    date: dateIn(month),
  });
  if (rand() < 0.05) {
    deletedSheetKeys.add(key);
    continue;
  }
  if (currency === null || currency === "USD") count(email, "SHEET", month, amount, 0n);
}

for (let i = 0; i < 1200; i++) {
  const email = pick(emails);
  const month = pick(months);
  const status = pick(["Approved", "Approved", "Refunded", "Cancelled", "Pending Payment"]);
  const amount = BigInt(50000 + Math.floor(rand() * 200000));
  const revenue = status === "Approved" || status === "Refunded";
  elective.push({
    key: `order_${i}`,
    scope: "elective.csv",
    email,
    name: `Elective ${email}`,
    raw: { status },
    changedAt: null,
    amount: cents(amount),
    currency: "USD",
    refunded: status === "Refunded" ? cents(amount) : "0",
    revenue,
    date: dateIn(month),
  });
  if (revenue) count(email, "ELECTIVE", month, amount, status === "Refunded" ? amount : 0n);
}

for (let i = 0; i < PEOPLE; i += 2) {
  ghl.push({
    key: `c_${i}`,
    scope: "loc",
    email: emails[i],
    name: `GHL ${i}`,
    raw: { id: i },
    changedAt: null,
  });
}

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
  await SyncRun.once(t.kysely, whopTable, whop);
  await SyncRun.once(t.kysely, whopTable, refunds);
  await SyncRun.once(t.kysely, sheetTable, sheets, { full: true, scope: "https://sheet.example/1" });
  await SyncRun.once(t.kysely, sheetTable, sheets.filter((r) => !deletedSheetKeys.has(r.key)), {
    full: true,
    scope: "https://sheet.example/1",
  });
  await SyncRun.once(t.kysely, electiveTable, elective);
  await SyncRun.once(t.kysely, ghlTable, ghl);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe("revenue views over a generated business", () => {
  it("give every person's revenue per source to the cent", async () => {
    const rows = await t.kysely.selectFrom("revenue_by_user").selectAll().execute();
    expect(rows.length).toBe(new Set([...whop, ...sheets, ...elective, ...ghl].map((r) => r.email)).size);
    const toCents = (s: string) => BigInt(Math.round(Number(s) * 100)); // views hold 2-decimal numerics
    let checked = 0;
    for (const row of rows) {
      const want = expected.byUser.get(row.email) ?? {};
      expect(toCents(row.whop_usd), `${row.email} whop`).toBe(want.WHOP ?? 0n);
      expect(toCents(row.sheet_usd), `${row.email} sheet`).toBe(want.SHEET ?? 0n);
      expect(toCents(row.elective_usd), `${row.email} elective`).toBe(want.ELECTIVE ?? 0n);
      const total = (want.WHOP ?? 0n) + (want.SHEET ?? 0n) + (want.ELECTIVE ?? 0n);
      expect(toCents(row.total_usd), `${row.email} total`).toBe(total);
      checked++;
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it("give gross, refunded and net by month and source to the cent", async () => {
    const rows = await t.kysely.selectFrom("revenue_by_month").selectAll().execute();
    expect(rows.length).toBe(expected.byMonth.size);
    for (const row of rows) {
      const month = row.month.toISOString().slice(0, 7);
      const want = expected.byMonth.get(`${month}|${row.source}`)!;
      expect(want, `${month} ${row.source}`).toBeDefined();
      expect(row.gross_usd).toBe(cents(want.gross));
      expect(row.refunded_usd).toBe(cents(want.refunded));
      expect(row.net_usd).toBe(cents(want.gross - want.refunded));
    }
  });

  it("keeps foreign-currency sheet money out of USD totals and lists it apart", async () => {
    const rows = await t.sql<{ currency: string; gross: string }[]>`
      select currency, sum(gross)::text as gross from revenue_unconverted where source = 'SHEET' group by currency`;
    const want = sheets.filter((r) => r.currency === "GBP" && !deletedSheetKeys.has(r.key))
      .reduce((s, r) => s + BigInt(Math.round(Number(r.amount) * 100)), 0n);
    expect(rows).toEqual([{ currency: "GBP", gross: cents(want) }]);
  });
});
