/**
 * sheetSource: manual sales logged in Google Sheets (or any CSV link), pulled on each source's
 * schedule (`sheets-pull`, `sheets:add`, `sheets:pull`).
 */
import { type Source, tabularKindsOf } from "../source.ts";
import { sheetTable } from "./table.ts";
import { createSheetsPullApp } from "./pull-app.ts";
import { sheetKind } from "./sheet-kind.ts";
import { sheetsAddCommand } from "./cli-add.ts";
import { sheetsPullCommand } from "./cli-pull.ts";

export const sheetSource = {
  name: "SHEET",
  table: sheetTable,
  revenueColumn: "sheet_usd",
  tabular: sheetKind,
  functions: {
    "sheets-pull": (deps) => createSheetsPullApp({ db: deps.db, kinds: tabularKindsOf(deps.sources) }),
  },
  commands: { "sheets:add": sheetsAddCommand, "sheets:pull": sheetsPullCommand },
} as const satisfies Source;
