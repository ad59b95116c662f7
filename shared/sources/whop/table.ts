import type { SourceTable } from "../../sync/source-table.ts";

/** Whop payments, memberships and refunds, keyed by Whop's object id; scope is the object kind. */
export const whopTable: SourceTable = {
  source: "WHOP",
  table: "whop_data",
  keyColumn: "external_whop_id",
  scopeColumn: "kind",
  rawColumn: "raw_data",
  keyedByScope: false,
};
