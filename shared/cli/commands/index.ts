/**
 * The CLI's commands by name. Each lives in its own file beside this one.
 */
import type { Command } from "../main.ts";
import { migrateCommand } from "./migrate.ts";
import { replayCommand } from "./replay.ts";

export const commands: Record<string, Command> = {
  migrate: migrateCommand,
  replay: replayCommand,
};
