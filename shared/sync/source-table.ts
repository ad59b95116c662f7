/**
 * SourceTable: where one source's records live. The engine reads only this description, so it has
 * no per-source code; each source folder exports its own (e.g. `shared/sources/whop/table.ts`).
 */
import type { SourceName } from "./record.ts";

export interface SourceTable {
  /** The `sync_logs.source` value of this table's runs. */
  source: SourceName;
  /** The table, which has the shared columns of `SourceColumns` in `shared/db/types.ts`. */
  table: string;
  /** Column holding `SourceRecord.key`. */
  keyColumn: string;
  /** Column holding `SourceRecord.scope`. */
  scopeColumn: string;
  /** Column holding `SourceRecord.raw`. */
  rawColumn: string;
  /** True when the key is unique only within a scope (`unique (scope, key)`), false when alone. */
  keyedByScope: boolean;
}
