import type { TabularKind } from "../tabular/tabular-kind.ts";
import { sheetRowMapper } from "./sheet-row-mapper.ts";
import { sheetTable } from "./table.ts";

/** Sheet sources of kind SHEET (logged sales): rows into `sheet_data`, read by `sheetRowMapper`. */
export const sheetKind: TabularKind = { kind: "SHEET", table: sheetTable, rowMapper: sheetRowMapper };
