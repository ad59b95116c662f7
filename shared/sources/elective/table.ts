import type { SourceTable } from "../../sync/source-table.ts";

/** Elective orders, keyed by row hash within the export or sheet they came from. */
export const electiveTable: SourceTable = {
  source: "ELECTIVE",
  table: "elective_data",
  keyColumn: "row_hash",
  scopeColumn: "source_url",
  rawColumn: "data",
  keyedByScope: true,
};
