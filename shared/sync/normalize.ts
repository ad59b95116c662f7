/**
 * PreparedRecord: a SourceRecord checked and normalised for the upsert. Pure: no database here.
 */
import type { SourceRecord } from "./record.ts";
import { canonicalEmail } from "./email.ts";

/** A record ready to write, or the reason it cannot be written. */
export interface PreparedRecord {
  key: string;
  scope: string;
  email: string | null;
  /** The person `email` resolves to, set by `resolvePeople` before the row is written. */
  userId?: string | null;
  name: string | null;
  /** The raw object serialised; its `contentHash` is what a re-sync compares instead of it. */
  raw: string;
  /** `contentHash(raw)`, filled in the first time a statement needs it. */
  hash?: string;
  /** Milliseconds since the epoch (a Date's time value), or null when the source does not say. */
  changedAt: number | null;
  /** The lifecycle rank that breaks ties of `changedAt` (see `SourceRecord.rank`). */
  rank: number;
  /** When this version first reached us (`SourceRecord.seenAt`), or null for the batch's time. */
  seenAt: number | null;
  amount: string | null;
  currency: string | null;
  amountUsd: string | null;
  refunded: string;
  contested: string;
  revenue: boolean;
  /** Milliseconds since the epoch. */
  date: number | null;
  parentKey: string | null;
  deleted: boolean;
}

/** Why one record was not written. */
export interface RecordError {
  key: string | null;
  reason: string;
}

// Deliberately plain: one @, no spaces or angle brackets, a dot in the domain. Providers validate
// addresses already; this only stops obvious junk ("n/a", "none", a name) from becoming a person.
// Control characters (NUL, DEL, ...) are never part of an address, and Postgres text cannot hold NUL.
const EMAIL = /^[^\s\p{Cc}@<>(),;:"\\]+@[^\s\p{Cc}@<>(),;:"\\]+\.[^\s\p{Cc}@<>(),;:"\\.]{2,}$/u;
const DECIMAL = /^-?\d{1,20}(\.\d{1,12})?$/;
const MAX_TEXT = 2000;

/**
 * The deepest JSON nesting we hand to jsonb. Postgres on a server takes 10,000 levels, but the
 * embedded PGlite's WASM stack silently answers nothing from about 8,000 and hangs at 10,000; no
 * provider nests objects more than a few dozen levels deep.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * How deeply `text` (JSON) nests arrays and objects, counting brackets outside strings. Linear,
 * with no recursion, so a hostile body cannot exhaust the stack here.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * The email as the users table keys it, spelled as `canonicalEmail` (and SQL's
 * `customer_sync_normalise_email`) spell it: format characters removed, NFC, trimmed, lower-cased;
 * or `null` when it is not an email.
 *
 * @example
 * normaliseEmail("  Jane.Doe@Example.COM ") // "jane.doe@example.com"
 * normaliseEmail("jane\u200B@example.com") // "jane@example.com"
 * normaliseEmail("n/a") // null
 */
export function normaliseEmail(email: unknown): string | null {
  if (typeof email !== "string") return null;
  const canonical = canonicalEmail(email);
  if (canonical.length > 320 || !EMAIL.test(canonical)) return null;
  return canonical;
}

function cleanText(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  return text === "" ? null : text.slice(0, MAX_TEXT);
}

function decimal(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!DECIMAL.test(value)) {
    // JSON quoting keeps a value with line breaks on the reason's one line.
    throw new Error(`${field} ${JSON.stringify(String(value).slice(0, 40))} is not an exact decimal`);
  }
  return value;
}

/** A date as its time value (cheaper to make and to read than an ISO string). */
function timeValue(value: Date | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  const time = value instanceof Date ? value.getTime() : NaN;
  if (Number.isNaN(time)) throw new Error(`${field} is not a valid date`);
  return time;
}

function rankOf(rank: number | undefined): number {
  if (rank === undefined) return 0;
  if (!Number.isInteger(rank) || Math.abs(rank) > 1_000_000) {
    throw new Error(`rank ${rank} is not a small integer`);
  }
  return rank;
}

/** Checks one record; throws an Error whose message is the one-line reason. */
export function prepareRecord(record: SourceRecord): PreparedRecord {
  if (typeof record.key !== "string" || record.key.trim() === "") throw new Error("record has no key");
  if (typeof record.scope !== "string") throw new Error("record has no scope");
  let raw: string | undefined;
  try {
    raw = JSON.stringify(record.raw ?? null);
  } catch {
    throw new Error("raw object cannot be stored as JSON");
  }
  // Postgres jsonb cannot hold the NUL character; refuse the record rather than the batch.
  if (raw.includes("\\u0000")) {
    throw new Error("raw object contains a NUL character, which jsonb cannot store");
  }
  // Nesting deeper than the limit takes more than twice as many brackets as the limit.
  if (raw.length > 2 * MAX_JSON_DEPTH && jsonDepth(raw) > MAX_JSON_DEPTH) {
    throw new Error(`raw object nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return {
    key: record.key,
    scope: record.scope,
    email: normaliseEmail(record.email),
    name: cleanText(record.name),
    raw,
    changedAt: timeValue(record.changedAt, "changedAt"),
    rank: rankOf(record.rank),
    seenAt: timeValue(record.seenAt, "seenAt"),
    amount: decimal(record.amount, "amount"),
    currency: cleanText(record.currency)?.toUpperCase() ?? null,
    amountUsd: decimal(record.amountUsd, "amountUsd"),
    refunded: decimal(record.refunded, "refunded") ?? "0",
    contested: decimal(record.contested, "contested") ?? "0",
    revenue: record.revenue === true,
    date: timeValue(record.date, "date"),
    parentKey: cleanText(record.parentKey),
    deleted: record.deleted === true,
  };
}

/**
 * A batch after its records were told apart, before they are prepared. Records are prepared per
 * chunk, just before that chunk is written, so the database starts on the first chunk at once and
 * preparing the rest overlaps its work.
 */
export interface PlannedBatch {
  /** How many distinct records the batch writes (one per key). */
  readonly size: number;
  /** The key of every record that had one, written or refused: what a full set has shown. */
  readonly keys: readonly string[];
  /** Records without a usable key or scope: nobody can tell which stored row they stand for. */
  readonly keyless: number;
  /** Prepares the distinct records `from` to `to`; the ones refused are added to `errors`. */
  prepare(from: number, to: number, errors: RecordError[]): PreparedRecord[];
}

/**
 * Plans a batch: records without a key fail at once, and when one key appears more than once the
 * newest valid version wins (by change time, then rank; later in the batch wins a tie), since one upsert may touch a row only
 * once. Versions of a repeated key are prepared here, so an invalid newer one fails alone and
 * leaves the older valid one to be written; a key seen once is prepared when its chunk is written.
 */
export function planBatch(
  records: readonly SourceRecord[],
  keyedByScope: boolean,
  errors: RecordError[],
): PlannedBatch {
  const slots: (SourceRecord | PreparedRecord | null)[] = [];
  const slotOf = new Map<string, number>();
  const repeated = new Map<number, SourceRecord[]>();
  const keys: string[] = [];
  let keyless = 0;
  for (const record of records) {
    const key = record?.key;
    if (typeof key !== "string" || key.trim() === "") {
      errors.push({ key: null, reason: "record has no key" });
      keyless++;
      continue;
    }
    if (typeof record.scope !== "string") {
      errors.push({ key, reason: "record has no scope" });
      keyless++;
      continue;
    }
    keys.push(key);
    const id = keyedByScope ? `${record.scope}\u0000${key}` : key;
    const slot = slotOf.get(id);
    if (slot === undefined) {
      slotOf.set(id, slots.length);
      slots.push(record);
    } else {
      const versions = repeated.get(slot);
      if (versions) versions.push(record);
      else repeated.set(slot, [slots[slot] as SourceRecord, record]);
    }
  }
  for (const [slot, versions] of repeated) {
    let best: PreparedRecord | null = null;
    for (const version of versions) {
      const row = tryPrepare(version, errors);
      if (row && (!best || !isOlder(row, best))) best = row;
    }
    slots[slot] = best;
  }
  return {
    size: slots.length,
    keys,
    keyless,
    prepare(from, to, sink) {
      const rows: PreparedRecord[] = [];
      for (let i = from; i < Math.min(to, slots.length); i++) {
        const slot = slots[i];
        if (slot === null) continue; // every version of a repeated key was refused
        const row = repeated.has(i) ? slot as PreparedRecord : tryPrepare(slot as SourceRecord, sink);
        if (row) rows.push(row);
      }
      return rows;
    },
  };
}

/**
 * True when `a` is an older version than `b`, as the upsert's guard orders them: by change time
 * (the time first seen standing in for an unknown one), then rank, then the time first seen.
 */
function isOlder(a: PreparedRecord, b: PreparedRecord): boolean {
  const at = a.changedAt ?? a.seenAt ?? -Infinity;
  const bt = b.changedAt ?? b.seenAt ?? -Infinity;
  if (at !== bt) return at < bt;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return (a.seenAt ?? -Infinity) < (b.seenAt ?? -Infinity);
}

function tryPrepare(record: SourceRecord, errors: RecordError[]): PreparedRecord | null {
  try {
    return prepareRecord(record);
  } catch (error) {
    errors.push({ key: record.key, reason: (error as Error).message });
    return null;
  }
}
