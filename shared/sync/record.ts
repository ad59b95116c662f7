/**
 * The one shape every source maps its payloads into. The sync engine knows nothing else about a
 * source: adding a source means writing a mapper to `SourceRecord` and a `SourceTable` for its rows.
 */

/**
 * A source's name as `sync_logs.source` and `webhook_events.source` store it (`customer_sync_sources`
 * lists them). The engine treats it as an opaque label; the registry
 * (`shared/sources/registry.ts`) narrows it to the sources that exist.
 */
export type SourceName = string;

/** One record as a source states it, before identity resolution. */
export interface SourceRecord {
  /**
   * The record's stable identity within its table: Whop's object id, HighLevel's contact id, or a
   * sheet row's hash. Together with `scope` (for tables keyed per scope) it is the upsert key.
   */
  key: string;
  /**
   * What a full sync of this scope replaces: a HighLevel location id, a sheet's URL, Whop's object
   * kind (`payment`, `membership`, `refund`). Rows of one scope are soft-deleted together.
   */
  scope: string;
  /** The email as the source wrote it; the engine trims, lower-cases and validates it. */
  email: string | null;
  /** The person's name as this source knows it (name priority is decided by the table). */
  name: string | null;
  /** The whole object as the source sent it, stored verbatim as jsonb. */
  raw: unknown;
  /**
   * When the source says the record last changed. An older change never overwrites a newer one;
   * `null` means the source does not say, and the time this version first reached us stands in
   * (a delivery's `received_at`, a run's start), so a late retry or a replay cannot win (README,
   * "How records converge").
   */
  changedAt: Date | null;
  /**
   * When this version first reached us, for a batch whose records did not all arrive together (a
   * batch of stored webhook deliveries: each record's delivery's `received_at`). It stands in for an
   * unknown `changedAt` and breaks the ties the lifecycle leaves open; unset, the batch's own
   * `seenAt` does.
   */
  seenAt?: Date | null;
  /**
   * Where this version stands in its object's lifecycle (higher is later: a paid payment after an
   * open one), from the source's documented order of states. It breaks ties between versions of
   * the same `changedAt`; 0 (the default) when the lifecycle says nothing.
   */
  rank?: number;
  /** Gross money in major units of `currency` as an exact decimal string (`"1234.56"`). */
  amount?: string | null;
  /** ISO 4217 code, upper-case, when known; unstated money counts as USD in the views. */
  currency?: string | null;
  /** The gross in USD when the source states it (Whop's `usd_total`), as a decimal string. */
  amountUsd?: string | null;
  /** Refunded so far, in major units of `currency`, as a decimal string. */
  refunded?: string | null;
  /**
   * Money the source says may be taken back but has not been (an open dispute), in major units of
   * `currency`: listed in `revenue_problems`, never subtracted.
   */
  contested?: string | null;
  /** True when the record is a sale that counts as revenue (a paid payment, an approved order). */
  revenue?: boolean;
  /** The key of the record this one adjusts in the same table (a refund's payment id). */
  parentKey?: string | null;
  /** The business date of the record (a purchase date), when it has one. */
  date?: Date | null;
  /** True when the source reports the record deleted (a tombstone, e.g. HighLevel's ContactDelete). */
  deleted?: boolean;
}
