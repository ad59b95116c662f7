import type { SourceTable } from "../../sync/source-table.ts";

/** Rows of pulled sheets, keyed by row hash within the sheet they came from. */
export const sheetTable: SourceTable = {
  source: "SHEET",
  table: "sheet_data",
  keyColumn: "row_hash",
  scopeColumn: "source_url",
  rawColumn: "data",
  keyedByScope: true,
};
