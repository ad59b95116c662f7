import type { SourceTable } from "../../sync/source-table.ts";

/** HighLevel contacts, keyed by contact id; scope is the location (sub-account). */
export const ghlTable: SourceTable = {
  source: "GHL",
  table: "ghl_data",
  keyColumn: "external_contact_id",
  scopeColumn: "location_id",
  rawColumn: "raw_data",
  keyedByScope: false,
};
