import type { SourceTable } from "../../sync/source-table.ts";
import type { Json, SourceColumns } from "../../db/types.ts";

/** Whop payments, memberships and refunds, keyed by Whop's object id; scope is the object kind. */
export const whopTable: SourceTable = {
  source: "WHOP",
  table: "whop_data",
  keyColumn: "external_whop_id",
  scopeColumn: "kind",
  rawColumn: "raw_data",
  keyedByScope: false,
};

/** `whop_data` as the migrations create it. */
export interface WhopDataTable extends SourceColumns {
  external_whop_id: string;
  kind: string;
  raw_data: Json;
}

declare module "../../db/types.ts" {
  interface Database {
    whop_data: WhopDataTable;
  }
  interface RevenueByUserView {
    whop_usd: string;
  }
}
