/**
 * Database: the Kysely view of the tables the migrations create. `tests/db/types.test.ts` checks
 * these interfaces against the migrated schema, so a migration and this file cannot drift apart.
 */
import type { ColumnType, Generated } from "kysely";

/** A timestamptz: read as Date, written as Date or ISO string, defaulted by the database. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** numeric comes back as an exact decimal string; never a float. */
type Numeric = ColumnType<string, string | number, string | number>;
type NullableNumeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;
type Json = ColumnType<unknown, string, string>;

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string | null;
  username: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Columns every source table shares; the sync engine writes only these. */
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
  is_revenue: ColumnType<boolean, boolean | undefined, boolean>;
  date: NullableTimestamp;
  source_updated_at: Timestamp;
  content_hash: string | null;
  last_synced: Timestamp;
  deleted_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WhopDataTable extends SourceColumns {
  external_whop_id: string;
  kind: string;
  raw_data: Json;
}

export interface GhlDataTable extends SourceColumns {
  external_contact_id: string;
  location_id: string;
  raw_data: Json;
}

/** `sheet_data` and `elective_data`, the same shape (see `tabularTable` in `shared/sources/tabular/`). */
export interface TabularDataTable extends SourceColumns {
  source_url: string;
  row_hash: string;
  data: Json;
}

export type SyncStatus = "RUNNING" | "SUCCESS" | "FAILED" | "PARTIAL";

export interface SyncLogsTable {
  id: Generated<string>;
  user_id: string | null;
  source: "WHOP" | "GHL" | "SHEET" | "ELECTIVE";
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
  payload: Json;
  received_at: Timestamp;
  status: ColumnType<WebhookStatus, WebhookStatus | undefined, WebhookStatus>;
  attempts: Generated<number>;
  error: string | null;
  processed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SheetSourcesTable {
  id: Generated<string>;
  name: string;
  kind: ColumnType<"SHEET" | "ELECTIVE", "SHEET" | "ELECTIVE" | undefined, "SHEET" | "ELECTIVE">;
  url: string;
  column_map: ColumnType<Record<string, string>, string | undefined, string>;
  schedule: Generated<string>;
  enabled: Generated<boolean>;
  last_pulled_at: NullableTimestamp;
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

export interface RevenueByUserView {
  user_id: string;
  email: string;
  name: string | null;
  whop_usd: string;
  ghl_usd: string;
  sheet_usd: string;
  elective_usd: string;
  total_usd: string;
}

export interface RevenueByMonthView {
  month: Date;
  source: string;
  gross_usd: string;
  refunded_usd: string;
  net_usd: string;
}

export interface Database {
  users: UsersTable;
  whop_data: WhopDataTable;
  ghl_data: GhlDataTable;
  sheet_data: TabularDataTable;
  elective_data: TabularDataTable;
  sync_logs: SyncLogsTable;
  webhook_events: WebhookEventsTable;
  sheet_sources: SheetSourcesTable;
  sync_checkpoints: SyncCheckpointsTable;
  sync_run_keys: SyncRunKeysTable;
  revenue_by_user: RevenueByUserView;
  revenue_by_month: RevenueByMonthView;
}
