import type { ColumnType, Generated } from "kysely";
import type { NullableTimestamp, Timestamp } from "../../db/types.ts";
import { type TabularDataTable, tabularTable } from "../tabular/tabular-table.ts";
import type { DecimalMark, SheetKind } from "./sheet-source-input.ts";

/** Rows of pulled sheets, keyed by row hash within the sheet they came from. */
export const sheetTable = tabularTable("SHEET", "sheet_data");

/** `sheet_sources`: one row per pulled sheet (or Elective export link). */
export interface SheetSourcesTable {
  id: Generated<string>;
  name: string;
  kind: ColumnType<SheetKind, SheetKind | undefined, SheetKind>;
  url: string;
  column_map: ColumnType<Record<string, string>, string | undefined, string>;
  schedule: Generated<string>;
  enabled: Generated<boolean>;
  decimal_mark: DecimalMark | null;
  last_pulled_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../db/types.ts" {
  interface Database {
    sheet_data: TabularDataTable;
    sheet_sources: SheetSourcesTable;
  }
  interface RevenueByUserView {
    sheet_usd: string;
  }
}
