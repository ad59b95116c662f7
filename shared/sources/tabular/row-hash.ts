/**
 * A sheet row has no id, so its identity is a hash of what it says. The hash is keyed by
 * normalised header name (moving a column, or changing a header's case, keeps every hash) and
 * skips empty cells (adding an empty column keeps every hash too). Two identical rows are two
 * purchases, so the hash also counts the identical rows above: the first is occurrence 0, the
 * next 1, and so on.
 */

import { createHash } from "node:crypto";

/** A header as a hash key: NFKC, trimmed, inner whitespace collapsed, lower-case. */
export function normalizeHeader(header: string): string {
  return header.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
}

// Every row of a sheet repeats the same headers: normalising each once took a third of the
// hashing time. Bounded, so a stream of odd keys cannot grow it without limit.
const headerCache = new Map<string, string>();
function cachedHeader(header: string): string {
  let key = headerCache.get(header);
  if (key === undefined) {
    if (headerCache.size >= 10_000) headerCache.clear();
    key = normalizeHeader(header);
    headerCache.set(header, key);
  }
  return key;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value.trim();
  if (typeof value === "number") return Object.is(value, -0) ? "0" : String(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE"; // as Sheets writes them
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? "";
}

/**
 * The row's content in one canonical string: non-empty cells as `[header, text]` pairs sorted by
 * normalised header, JSON-encoded so no cell text can imitate a separator.
 */
export function canonicalRow(row: Record<string, unknown>): string {
  const pairs: [string, string][] = [];
  for (const key of Object.keys(row)) {
    const text = cellText(row[key]);
    if (text !== "") pairs.push([cachedHeader(key), text]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return JSON.stringify(pairs);
}

function hashCanonical(canonical: string, occurrence: number): string {
  // Occurrence 0 hashes the content alone, so a batch hashes each unique row once.
  const text = occurrence === 0 ? canonical : `${canonical}\n#${occurrence}`;
  // Native and synchronous (Deno and Supabase Edge provide node:crypto): per-row `crypto.subtle`
  // calls pay a promise each and were ten times slower. Hex of the UTF-8 bytes, as ever: stored
  // row hashes stay valid.
  return createHash("sha256").update(text).digest("hex");
}

/** `rowHash`, synchronously. */
export function rowHashSync(row: Record<string, unknown>, occurrence: number): string {
  if (!Number.isInteger(occurrence) || occurrence < 0) {
    throw new RangeError("occurrence must be a whole number ≥ 0");
  }
  return hashCanonical(canonicalRow(row), occurrence);
}

/**
 * SHA-256 hex of the row's normalised content plus `occurrence`, the number of identical rows
 * above it in the same sheet.
 *
 * Async for symmetry with WebCrypto, but computed synchronously (see `rowHashSync`).
 */
export function rowHash(row: Record<string, unknown>, occurrence: number): Promise<string> {
  return Promise.resolve(rowHashSync(row, occurrence));
}

/**
 * Hashes the rows of one sheet in order, counting identical rows as it goes, across as many
 * chunks as the sheet arrives in. Use one per pull of one source; it remembers one 64-character
 * hash per distinct row (about 10 MB for 100k rows).
 *
 * @example
 * const hasher = new RowHasher();
 * for await (const chunk of csvRows(body)) {
 *   const keys = hasher.hashAll(chunk.rows);
 * }
 */
export class RowHasher {
  readonly #seen = new Map<string, number>();

  /** The row's hash; the occurrence is the number of identical rows hashed before. */
  hash(row: Record<string, unknown>): string {
    return this.hashWithOccurrence(row).hash;
  }

  /** The row's hash and its occurrence. */
  hashWithOccurrence(row: Record<string, unknown>): { hash: string; occurrence: number } {
    const canonical = canonicalRow(row);
    const first = hashCanonical(canonical, 0);
    const occurrence = this.#seen.get(first) ?? 0;
    this.#seen.set(first, occurrence + 1);
    return { hash: occurrence === 0 ? first : hashCanonical(canonical, occurrence), occurrence };
  }

  /** Hashes a chunk of rows in order. */
  hashAll(rows: Record<string, unknown>[]): string[] {
    return rows.map((row) => this.hash(row));
  }
}
