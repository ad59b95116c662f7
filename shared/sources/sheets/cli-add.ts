/**
 * `sheets:add --name N --url URL [--kind SHEET|ELECTIVE] [--schedule CRON] [--map email=Email,...]
 * [--decimal .|,] [--enable|--disable]`: creates or updates a `sheet_sources` row and prints what it stored.
 */
import type { Command } from "../source.ts";
import { parseArgs, stringFlag } from "../../cli/args.ts";
import {
  describeColumnMap,
  parseColumnMap,
  parseDecimalMark,
  parseSchedule,
  parseSheetKind,
  resolveSheetUrl,
} from "./sheet-source-input.ts";
import { saveSheetSource, type SheetSourceChange } from "./sheet-sources.ts";

export const sheetsAddCommand: Command = {
  usage:
    "sheets:add --name N --url URL [--kind SHEET|ELECTIVE] [--schedule CRON] [--map f=Header,...] [--decimal .|,]",
  summary: "add or change a sheet to pull (a Google Sheets link, a CSV URL or sheets:{ID}!{range})",
  async run(ctx) {
    const args = parseArgs(ctx.args, [
      "name",
      "url",
      "kind",
      "schedule",
      "map",
      "decimal",
      "enable",
      "disable",
    ]);
    if (args.positionals.length > 0) throw new Error(`unexpected argument ${args.positionals[0]}`);
    const name = stringFlag(args, "name")?.trim();
    if (!name) throw new Error("--name is required (the source's unique name, e.g. --name sales-2024)");
    if (args.flags.has("enable") && args.flags.has("disable")) {
      throw new Error("give --enable or --disable, not both");
    }

    const change: SheetSourceChange = { name };
    let note: string | null = null;
    const url = stringFlag(args, "url");
    if (args.flags.has("url") && !url) throw new Error("--url needs a link");
    if (url) ({ url: change.url, note } = resolveSheetUrl(url));
    const kind = stringFlag(args, "kind");
    if (kind !== undefined) change.kind = parseSheetKind(kind);
    const schedule = stringFlag(args, "schedule");
    if (args.flags.has("schedule")) change.schedule = parseSchedule(schedule ?? "");
    if (args.flags.has("map")) change.columnMap = parseColumnMap(stringFlag(args, "map") ?? "");
    if (args.flags.has("decimal")) change.decimalMark = parseDecimalMark(stringFlag(args, "decimal") ?? "");
    if (args.flags.has("enable")) change.enabled = true;
    if (args.flags.has("disable")) change.enabled = false;

    const db = await ctx.db();
    const { source, previous } = await saveSheetSource(db.kysely, change);
    ctx.log(`${previous ? "updated" : "added"} sheet source '${source.name}':`);
    ctx.log(`  kind      ${source.kind}`);
    ctx.log(`  url       ${source.url}`);
    if (note) ctx.log(`            (${note})`);
    ctx.log(`  columns   ${describeColumnMap(source.columnMap)}`);
    ctx.log(
      `  decimal   '${source.decimalMark}' (1${source.decimalMark}234 reads as ${
        source.decimalMark === "." ? "1.234" : "1234"
      })`,
    );
    ctx.log(`  schedule  ${source.schedule} (UTC)`);
    ctx.log(`  enabled   ${source.enabled ? "yes" : "no"}`);
    if (previous && previous.url !== source.url) {
      ctx.log(
        `note: rows pulled from the old URL stay as they are (their scope is ${previous.url}); ` +
          `only the new URL is pulled from now on`,
      );
    }
    ctx.log(`pull it now with: npm run cli -- sheets:pull --source ${source.name}`);
  },
};
