/**
 * checkTrafficLanded: asserts that the database holds exactly what a set of webhook deliveries
 * must produce — every distinct delivery stored once and processed, each record at its newest
 * version, each live record linked to the person of its newest email, one person per email — and
 * returns the figures for the reliability summary. Shared by the load, outage and crash tests.
 */
import { expect } from "vitest";
import type { Kysely } from "kysely";
import type { Database } from "../../shared/db/types.ts";
import { expectedState, type TrafficDelivery } from "./webhook-traffic.ts";
import { untilProcessed } from "./outcome.ts";

export interface LandedFigures {
  /** Distinct deliveries found in `webhook_events`. */
  stored: number;
  /** Distinct deliveries that were sent but are not in the database (must be 0). */
  lost: number;
  rows: number;
  people: number;
}

export async function checkTrafficLanded(
  db: Kysely<Database>,
  unique: readonly TrafficDelivery[],
): Promise<LandedFigures> {
  // Deliveries are processed after their answers: wait for the server to catch up.
  await untilProcessed(db, 60_000).catch(() => {}); // what is still pending is reported below
  const events = await db.selectFrom("webhook_events").select(["source", "event_id", "status", "error"])
    .execute();
  const stored = new Map(events.map((e) => [`${e.source}/${e.event_id}`, e]));
  const missing = unique.filter((d) => !stored.has(`${d.source}/${d.eventId}`));
  expect(missing.map((d) => d.eventId), "deliveries not in webhook_events").toEqual([]);
  expect(events.length, "webhook_events rows (one per distinct delivery)").toBe(unique.length);
  const stuck = events.filter((e) => e.status !== "processed");
  expect(stuck.slice(0, 5), "events not processed").toEqual([]);

  const expected = expectedState(unique);
  const users = await db.selectFrom("users").select(["id", "email"]).execute();
  const emailOf = new Map(users.map((u) => [u.id, u.email]));
  expect(users.length, "one person per email").toBe(new Set(users.map((u) => u.email)).size);
  expect(new Set(users.map((u) => u.email))).toEqual(expected.emails);

  const whop = await db.selectFrom("whop_data")
    .select(["external_whop_id as key", "raw_data as raw", "user_id", "deleted_at"]).execute();
  const ghl = await db.selectFrom("ghl_data")
    .select(["external_contact_id as key", "raw_data as raw", "user_id", "deleted_at"]).execute();
  const actual = new Map([
    ...whop.map((r) => [`whop_data/${r.key}`, r] as const),
    ...ghl.map((r) => [`ghl_data/${r.key}`, r] as const),
  ]);
  expect(actual.size, "rows (one per record)").toBe(expected.rows.size);
  const wrong: string[] = [];
  for (const [id, newest] of expected.rows) {
    const row = actual.get(id);
    if (!row) {
      wrong.push(`${id}: missing`);
      continue;
    }
    if (canonical(row.raw) !== canonical(newest.raw)) wrong.push(`${id}: not the newest version`);
    if ((row.deleted_at !== null) !== newest.deleted) wrong.push(`${id}: deleted_at ${row.deleted_at}`);
    if (!newest.deleted && emailOf.get(row.user_id ?? "") !== newest.email?.trim().toLowerCase()) {
      wrong.push(`${id}: linked to ${emailOf.get(row.user_id ?? "")}, not ${newest.email}`);
    }
  }
  expect(wrong.slice(0, 10), "records not at their newest version").toEqual([]);
  return { stored: events.length, lost: missing.length, rows: actual.size, people: users.length };
}

/** JSON with object keys sorted: jsonb does not keep the order keys were written in. */
export function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}
