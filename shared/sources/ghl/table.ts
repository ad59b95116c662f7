import type { SourceTable } from "../../sync/source-table.ts";
import type { Json, SourceColumns } from "../../db/types.ts";

/** HighLevel contacts, keyed by contact id; scope is the location (sub-account). */
export const ghlTable: SourceTable = {
  source: "GHL",
  table: "ghl_data",
  keyColumn: "external_contact_id",
  scopeColumn: "location_id",
  rawColumn: "raw_data",
  keyedByScope: false,
};

/** `ghl_data` as the migrations create it. */
export interface GhlDataTable extends SourceColumns {
  external_contact_id: string;
  location_id: string;
  raw_data: Json;
}

declare module "../../db/types.ts" {
  interface Database {
    ghl_data: GhlDataTable;
  }
}
