/**
 * Database: the Kysely view of the tables the migrations create. `tests/db/types.test.ts` checks
 * these interfaces against the migrated schema, so a migration and this file cannot drift apart.
 */
import type { ColumnType, Generated } from "kysely";

/** A timestamptz: read as Date, written as Date or ISO string, defaulted by the database. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;
/** numeric comes back as an exact decimal string; never a float. */
type Numeric = ColumnType<string, string | number, string | number>;
type NullableNumeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;
/** jsonb: read as parsed JSON, written as JSON text. */
export type Json = ColumnType<unknown, string, string>;

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string | null;
  username: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * Columns every source table shares; the sync engine writes only these. Each source folder adds its
 * table (these columns plus its key, scope and raw columns) to {@link Database}, and its column to
 * {@link RevenueByUserView}, by module augmentation in its `table.ts`, so this file names no source.
 */
export interface SourceColumns {
  id: Generated<string>;
  user_id: string | null;
  parent_key: string | null;
  email: string | null;
  name: string | null;
  amount: NullableNumeric;
  currency: string | null;
  amount_usd: NullableNumeric;
  refunded_amount: ColumnType<string, string | number | undefined, string | number>;
  contested_amount: ColumnType<string, string | number | undefined, string | number>;
  is_revenue: ColumnType<boolean, boolean | undefined, boolean>;
  date: NullableTimestamp;
  source_updated_at: Timestamp;
  source_rank: ColumnType<number, number | undefined, number>;
  source_seen_at: Timestamp;
  content_hash: string | null;
  last_synced: Timestamp;
  deleted_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type SyncStatus = "RUNNING" | "SUCCESS" | "FAILED" | "PARTIAL";

export interface SyncLogsTable {
  id: Generated<string>;
  user_id: string | null;
  /** A registered source (`customer_sync_sources.name`). */
  source: string;
  scope: string | null;
  status: SyncStatus;
  records_processed: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  deleted: Generated<number>;
  failed: Generated<number>;
  errors: ColumnType<unknown, string | undefined, string>;
  error_message: string | null;
  pid: number | null;
  lease_until: NullableTimestamp;
  started_at: Timestamp;
  completed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type WebhookStatus = "pending" | "processed" | "failed" | "ignored";

export interface WebhookEventsTable {
  id: Generated<string>;
  source: string;
  event_id: string;
  event_type: string | null;
  /** What a delivery named by its content is about (see `storeDelivery`). */
  subject: string | null;
  payload: Json;
  received_at: Timestamp;
  status: ColumnType<WebhookStatus, WebhookStatus | undefined, WebhookStatus>;
  attempts: Generated<number>;
  error: string | null;
  processed_at: NullableTimestamp;
  /** Until when a drain's claim on a pending delivery holds (see `claimEvents`). */
  claimed_until: NullableTimestamp;
  /** The backend that made the claim: once it is gone, so is the claim. */
  claimed_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SyncCheckpointsTable {
  name: string;
  state: ColumnType<unknown, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SyncRunKeysTable {
  sync_log_id: string;
  key: string;
}

/** Each source adds its `<source>_usd` column (see `customer_sync_sources.revenue_column`). */
export interface RevenueByUserView {
  user_id: string;
  email: string;
  name: string | null;
  total_usd: string;
}

export interface RevenueByMonthView {
  month: Date;
  source: string;
  gross_usd: string;
  refunded_usd: string;
  net_usd: string;
}

/**
 * What the revenue totals leave out or hold back, line by line: `open_dispute` (money contested,
 * not subtracted) and `refund_exceeds_payment` (the excess not counted).
 */
export interface RevenueProblemsView {
  source: string;
  key: string;
  parent_key: string | null;
  user_id: string | null;
  problem: string;
  detail: string;
  amount: string;
  currency: string | null;
}

/** The sources as registered in SQL (`customer_sync_add_source`). */
export interface CustomerSyncSourcesTable {
  name: string;
  position: Generated<number>;
  table_name: string;
  key_column: string;
  scope_column: string;
  raw_column: string;
  name_priority: number;
  revenue_column: string | null;
  child_refunds: Generated<boolean>;
  /** A row with no amount and a refunded amount is a refund without its sale (sales sheets). */
  refund_rows: Generated<boolean>;
  created_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  customer_sync_sources: CustomerSyncSourcesTable;
  sync_logs: SyncLogsTable;
  webhook_events: WebhookEventsTable;
  sync_checkpoints: SyncCheckpointsTable;
  sync_run_keys: SyncRunKeysTable;
  revenue_by_user: RevenueByUserView;
  revenue_by_month: RevenueByMonthView;
  revenue_problems: RevenueProblemsView;
}
