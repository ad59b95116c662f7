/**
 * tabularTable: the one shape of a tabular source's table (`sheet_data`, `elective_data`): rows
 * have no id of their own, so each is keyed by its row hash within the sheet or export it came
 * from (`source_url`), and keeps its cells by header in `data`. In SQL the same shape is
 * `customer_sync_create_source_table(table, 'row_hash', 'source_url', 'data', true)`.
 */
import type { Json, SourceColumns } from "../../db/types.ts";
import type { SourceName } from "../../sync/record.ts";
import type { SourceTable } from "../../sync/source-table.ts";

/** The row type of a tabular table (each tabular source adds its table to `Database` with it). */
export interface TabularDataTable extends SourceColumns {
  source_url: string;
  row_hash: string;
  data: Json;
}

/**
 * The `SourceTable` of a tabular source.
 *
 * @example
 * export const sheetTable = tabularTable("SHEET", "sheet_data");
 */
export function tabularTable(source: SourceName, table: string): SourceTable {
  return {
    source,
    table,
    keyColumn: "row_hash",
    scopeColumn: "source_url",
    rawColumn: "data",
    keyedByScope: true,
  };
}
