/**
 * tabularTable: the one shape of a tabular source's table (`sheet_data`, `elective_data`): rows
 * have no id of their own, so each is keyed by its row hash within the sheet or export it came
 * from (`source_url`), and keeps its cells by header in `data`.
 */
import type { SourceName } from "../../sync/record.ts";
import type { SourceTable, SourceTableName } from "../../sync/source-table.ts";

/** The tables laid out as {@link tabularTable} describes. */
export type TabularTableName = Extract<SourceTableName, "sheet_data" | "elective_data">;

/**
 * The `SourceTable` of a tabular source.
 *
 * @example
 * export const sheetTable = tabularTable("SHEET", "sheet_data");
 */
export function tabularTable(source: SourceName, table: TabularTableName): SourceTable {
  return {
    source,
    table,
    keyColumn: "row_hash",
    scopeColumn: "source_url",
    rawColumn: "data",
    keyedByScope: true,
  };
}
