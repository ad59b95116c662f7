import { tabularTable } from "../tabular/tabular-table.ts";

/** Rows of pulled sheets, keyed by row hash within the sheet they came from. */
export const sheetTable = tabularTable("SHEET", "sheet_data");
