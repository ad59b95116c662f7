/**
 * PreparedRecord: a SourceRecord checked and normalised for the upsert. Pure: no database here.
 */
import type { SourceRecord } from "./record.ts";

/** A record ready to write, or the reason it cannot be written. */
export interface PreparedRecord {
  key: string;
  scope: string;
  email: string | null;
  name: string | null;
  raw: string;
  changedAt: string | null;
  amount: string | null;
  currency: string | null;
  amountUsd: string | null;
  refunded: string;
  revenue: boolean;
  date: string | null;
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
const EMAIL = /^[^\s@<>(),;:"\\]+@[^\s@<>(),;:"\\]+\.[^\s@<>(),;:"\\.]{2,}$/u;
const DECIMAL = /^-?\d{1,20}(\.\d{1,12})?$/;
const MAX_TEXT = 2000;

/**
 * The email as the users table keys it: trimmed and lower-cased, or `null` when it is not an email.
 *
 * @example
 * normaliseEmail("  Jane.Doe@Example.COM ") // "jane.doe@example.com"
 * normaliseEmail("n/a") // null
 */
export function normaliseEmail(email: unknown): string | null {
  if (typeof email !== "string") return null;
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length > 320 || !EMAIL.test(trimmed)) return null;
  return trimmed;
}

function cleanText(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  return text === "" ? null : text.slice(0, MAX_TEXT);
}

function decimal(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!DECIMAL.test(value)) {
    throw new Error(`${field} "${String(value).slice(0, 40)}" is not an exact decimal`);
  }
  return value;
}

function isoDate(value: Date | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new Error(`${field} is not a valid date`);
  }
  return value.toISOString();
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
  return {
    key: record.key,
    scope: record.scope,
    email: normaliseEmail(record.email),
    name: cleanText(record.name),
    raw,
    changedAt: isoDate(record.changedAt, "changedAt"),
    amount: decimal(record.amount, "amount"),
    currency: cleanText(record.currency)?.toUpperCase() ?? null,
    amountUsd: decimal(record.amountUsd, "amountUsd"),
    refunded: decimal(record.refunded, "refunded") ?? "0",
    revenue: record.revenue === true,
    date: isoDate(record.date, "date"),
    parentKey: cleanText(record.parentKey),
    deleted: record.deleted === true,
  };
}

/**
 * Prepares a batch: invalid records become errors, and when one key appears more than once the
 * newest version wins (later in the batch wins a tie), since one upsert may touch a row only once.
 */
export function prepareBatch(
  records: readonly SourceRecord[],
  keyedByScope: boolean,
): { rows: PreparedRecord[]; errors: RecordError[] } {
  const byKey = new Map<string, PreparedRecord>();
  const errors: RecordError[] = [];
  for (const record of records) {
    let row: PreparedRecord;
    try {
      row = prepareRecord(record);
    } catch (error) {
      errors.push({
        key: typeof record?.key === "string" ? record.key : null,
        reason: (error as Error).message,
      });
      continue;
    }
    const id = keyedByScope ? `${row.scope}\u0000${row.key}` : row.key;
    const seen = byKey.get(id);
    if (!seen || (seen.changedAt ?? "") <= (row.changedAt ?? "")) byKey.set(id, row);
  }
  return { rows: [...byKey.values()], errors };
}
