/**
 * SourceTable: where one source's records live. The engine reads only this description, so it has
 * no per-source code; each source folder exports its own (e.g. `shared/sources/whop/table.ts`).
 */
import type { SourceName } from "./record.ts";

/** The four source tables; each has the shared columns of `SourceColumns` in `shared/db/types.ts`. */
export type SourceTableName = "whop_data" | "ghl_data" | "sheet_data" | "elective_data";

export interface SourceTable {
  /** The `sync_logs.source` value of this table's runs. */
  source: SourceName;
  table: SourceTableName;
  /** Column holding `SourceRecord.key`. */
  keyColumn: string;
  /** Column holding `SourceRecord.scope`. */
  scopeColumn: string;
  /** Column holding `SourceRecord.raw`. */
  rawColumn: "raw_data" | "data";
  /** True when the key is unique only within a scope (`unique (scope, key)`), false when alone. */
  keyedByScope: boolean;
}
