import type { SourceTable } from "../../sync/source-table.ts";
import type { Json, SourceColumns } from "../../db/types.ts";

/** Elective orders, keyed by row hash within the export or sheet they came from. */
export const electiveTable: SourceTable = {
  source: "ELECTIVE",
  table: "elective_data",
  keyColumn: "row_hash",
  scopeColumn: "source_url",
  rawColumn: "data",
  keyedByScope: true,
};

/** `elective_data` as the migrations create it. */
export interface ElectiveDataTable extends SourceColumns {
  source_url: string;
  row_hash: string;
  data: Json;
}

declare module "../../db/types.ts" {
  interface Database {
    elective_data: ElectiveDataTable;
  }
  interface RevenueByUserView {
    elective_usd: string;
  }
}
