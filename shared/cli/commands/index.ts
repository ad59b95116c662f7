/**
 * The CLI's commands by name. Each lives in its own file beside this one.
 */
import type { Command } from "../main.ts";
import { migrateCommand } from "./migrate.ts";
import { replayCommand } from "./replay.ts";
import { reportCommand } from "./report.ts";
import { ghlBackfillCommand } from "./ghl-backfill.ts";
import { whopBackfillCommand } from "./whop-backfill.ts";
import { sheetsAddCommand } from "./sheets-add.ts";
import { sheetsPullCommand } from "./sheets-pull.ts";
import { electiveImportCommand } from "./elective-import.ts";

export const commands: Record<string, Command> = {
  migrate: migrateCommand,
  replay: replayCommand,
  report: reportCommand,
  "ghl:backfill": ghlBackfillCommand,
  "whop:backfill": whopBackfillCommand,
  "sheets:add": sheetsAddCommand,
  "sheets:pull": sheetsPullCommand,
  "elective:import": electiveImportCommand,
};
