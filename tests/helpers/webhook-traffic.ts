/**
 * WebhookTraffic: realistic mixed Whop and HighLevel webhook traffic for load, outage and crash
 * tests — several versions of each record, people shared across both providers, emails in varied
 * case and spacing, deletions, repeats and shuffled order — together with the database state it
 * must produce, computed here independently of the code under test (newest version per record
 * wins; a person per distinct trimmed, lower-cased email).
 *
 * Deliveries are signed when sent (`sign()`), as a provider signs each attempt, so a long run never
 * falls outside Whop's 5-minute window. Test support only (Node).
 */
import { signStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import type { GhlTestSigner } from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";

export type TrafficSource = "WHOP" | "GHL";

/** One delivery a provider would make (a repeat shares its id, body and record). */
export interface TrafficDelivery {
  source: TrafficSource;
  /** `whop-webhook` or `ghl-webhook`. */
  fn: string;
  /** The provider's delivery id (the `webhook_events.event_id` it must be stored under). */
  eventId: string;
  body: string;
  /** The record it states, and where that version stands among the record's versions. */
  table: "whop_data" | "ghl_data";
  key: string;
  changedAt: number;
  /** The email exactly as sent (maybe padded, mixed case), or null. */
  email: string | null;
  deleted: boolean;
  /** What the table's raw column must hold when this version is the newest. */
  raw: unknown;
  /** Headers for an attempt sent now. */
  sign(): Promise<Record<string, string>>;
}

/** Options of {@link makeTraffic}. */
export interface TrafficOptions {
  /** Deliveries in all, repeats included. */
  total: number;
  /** Share of `total` that repeats an earlier delivery (default 0.1). */
  duplicateShare?: number;
  whopSecret: string;
  ghl: GhlTestSigner;
  seed?: number;
  /** Distinct people (emails) the records belong to (default total / 12). */
  people?: number;
  /** Prefix of record ids and delivery ids, so several traffics can share one database. */
  prefix?: string;
}

export interface Traffic {
  /** Every delivery to send, repeats included, shuffled. */
  deliveries: TrafficDelivery[];
  /** The distinct deliveries (one per event id). */
  unique: TrafficDelivery[];
  duplicates: number;
}

/** A small seeded PRNG (mulberry32), so a failing run can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const LOCATION = "locLoadTest01";

/** Builds the traffic: about half Whop (payments, memberships), half HighLevel contact events. */
export function makeTraffic(options: TrafficOptions): Traffic {
  const random = prng(options.seed ?? 7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const duplicates = Math.round(options.total * (options.duplicateShare ?? 0.1));
  const uniqueCount = options.total - duplicates;
  const peopleCount = Math.max(3, options.people ?? Math.round(options.total / 12));
  const people = Array.from({ length: peopleCount }, (_, i) => `person${i}@load.example.com`);
  // The same address as people type it into different systems.
  const spelling = (email: string) =>
    pick([
      email,
      email,
      email.toUpperCase(),
      `  ${email}`,
      `${email[0].toUpperCase()}${email.slice(1)} `,
    ]);
  // HighLevel's replay window is 75 minutes; every version sits inside it.
  const base = Date.now() - 40 * 60_000;
  let clock = 0;
  const tick = () => base + (clock += 1 + Math.floor(random() * 50));

  const prefix = options.prefix ?? "load";
  const unique: TrafficDelivery[] = [];
  let whopRecords = 0;
  let ghlRecords = 0;
  while (unique.length < uniqueCount) {
    const versions = Math.min(uniqueCount - unique.length, 1 + Math.floor(random() * 6));
    const person = pick(people);
    if (random() < 0.5) {
      const kind = random() < 0.7 ? "payment" : "membership";
      const id = `${kind === "payment" ? "pay" : "mem"}_${prefix}${whopRecords++}`;
      for (let v = 0; v < versions; v++) {
        unique.push(whopVersion(kind, id, v, tick(), spelling(person), options.whopSecret, random));
      }
    } else {
      const id = `contact_${prefix}${ghlRecords++}`;
      let email = person;
      for (let v = 0; v < versions; v++) {
        // Now and then a contact changes address: it then belongs to another person.
        if (v > 0 && random() < 0.15) email = pick(people);
        const type = v === 0 ? "ContactCreate" : random() < 0.12 ? "ContactDelete" : "ContactUpdate";
        unique.push(ghlVersion(type, id, v, tick(), spelling(email), options.ghl, random));
      }
    }
  }
  const repeats = Array.from({ length: duplicates }, () => pick(unique));
  return { deliveries: shuffle([...unique, ...repeats], random), unique, duplicates };
}

function whopVersion(
  kind: "payment" | "membership",
  id: string,
  version: number,
  at: number,
  email: string,
  secret: string,
  random: () => number,
): TrafficDelivery {
  const iso = new Date(at).toISOString();
  const user = {
    id: `user_${email.trim().toLowerCase()}`,
    email,
    name: `Load ${email.trim()}`,
    username: null,
  };
  const data = kind === "payment"
    ? {
      id,
      status: version === 0 ? "pending" : "paid",
      currency: "usd",
      total: Math.round(random() * 100_000) / 100,
      usd_total: null,
      refunded_amount: 0,
      created_at: new Date(at - version * 1000).toISOString(),
      updated_at: iso,
      paid_at: iso,
      user,
      note: `version ${version}`,
    }
    : {
      id,
      status: version % 2 === 0 ? "active" : "canceled",
      created_at: new Date(at - version * 1000).toISOString(),
      updated_at: iso,
      user,
      note: `version ${version}`,
    };
  const eventId = `msg_${id}_v${version}`;
  const type = kind === "payment"
    ? (data.status === "paid" ? "payment.succeeded" : "payment.pending")
    : (data.status === "active" ? "membership.activated" : "membership.deactivated");
  const body = JSON.stringify({
    id: eventId,
    api_version: "v1",
    timestamp: iso,
    type,
    company_id: "biz_load",
    data,
  });
  return {
    source: "WHOP",
    fn: "whop-webhook",
    eventId,
    body,
    table: "whop_data",
    key: id,
    changedAt: at,
    email,
    deleted: false,
    raw: data,
    sign: async () => ({
      "content-type": "application/json",
      ...(await signStandardWebhook({ id: eventId, timestamp: new Date(), body, secret })),
    }),
  };
}

function ghlVersion(
  type: "ContactCreate" | "ContactUpdate" | "ContactDelete",
  id: string,
  version: number,
  at: number,
  email: string,
  signer: GhlTestSigner,
  random: () => number,
): TrafficDelivery {
  const eventId = `wh_${id}_v${version}`;
  const body = JSON.stringify({
    type,
    timestamp: new Date(at).toISOString(),
    webhookId: eventId,
    locationId: LOCATION,
    id,
    email,
    firstName: "Load",
    lastName: `Contact ${id}`,
    tags: [`v${version}`],
    dnd: random() < 0.5,
    dateAdded: new Date(base0(at, version)).toISOString(),
  });
  // Most deliveries carry HighLevel's current Ed25519 header; some only the retiring RSA one.
  const rsa = random() < 0.1;
  return {
    source: "GHL",
    fn: "ghl-webhook",
    eventId,
    body,
    table: "ghl_data",
    key: id,
    changedAt: at,
    email,
    deleted: type === "ContactDelete",
    raw: JSON.parse(body),
    sign: async () => Object.fromEntries(await signer.headers(body, rsa ? { rsa: true } : { ed25519: true })),
  };
}

function base0(at: number, version: number): number {
  return at - version * 60_000;
}

/** The state the database must hold after every delivery in `unique` was processed once. */
export interface ExpectedState {
  /** Per table, per key: the newest version. */
  rows: Map<string, TrafficDelivery>;
  /** Every person: the trimmed, lower-cased email of every live version sent. */
  emails: Set<string>;
}

/** Computes the expected state from the distinct deliveries (order of arrival does not matter). */
export function expectedState(unique: readonly TrafficDelivery[]): ExpectedState {
  const rows = new Map<string, TrafficDelivery>();
  const emails = new Set<string>();
  for (const d of unique) {
    const id = `${d.table}/${d.key}`;
    const seen = rows.get(id);
    if (!seen || seen.changedAt < d.changedAt) rows.set(id, d);
    if (!d.deleted && d.email) emails.add(d.email.trim().toLowerCase());
  }
  return { rows, emails };
}

/** Sends `items` with `concurrency` senders; resolves with each item's outcome, in order. */
export async function sendAll<T, R>(
  items: readonly T[],
  concurrency: number,
  send: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const sender = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await send(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, sender));
  return results;
}

/** Posts one delivery to a running server (`base` = `…/functions/v1`). */
export async function post(base: string, d: TrafficDelivery): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}/${d.fn}`, { method: "POST", headers: await d.sign(), body: d.body });
  return { status: res.status, body: await res.text() };
}
