/**
 * The CLI's commands by name: the core commands in this folder, then the commands each registered
 * source brings (`Source.commands`).
 */
import type { Command } from "../../sources/source.ts";
import { sourceCommands } from "../../sources/registry.ts";
import { migrateCommand } from "./migrate.ts";
import { replayCommand } from "./replay.ts";
import { reportCommand } from "./report.ts";

export const commands: Record<string, Command> = {
  migrate: migrateCommand,
  replay: replayCommand,
  report: reportCommand,
  ...sourceCommands(),
};
