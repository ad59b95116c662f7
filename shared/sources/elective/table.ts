import { type TabularDataTable, tabularTable } from "../tabular/tabular-table.ts";

/** Elective orders, keyed by row hash within the export or sheet they came from. */
export const electiveTable = tabularTable("ELECTIVE", "elective_data");

declare module "../../db/types.ts" {
  interface Database {
    elective_data: TabularDataTable;
  }
  interface RevenueByUserView {
    elective_usd: string;
  }
}
