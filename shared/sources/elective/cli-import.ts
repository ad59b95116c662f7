/**
 * `elective:import FILE.csv [--scope NAME] [--full] [--force]`: imports an Elective orders export.
 *
 * Imports of one scope share their orders: the same export again changes nothing, a later one
 * updates the orders whose status changed. Nothing is soft-deleted unless `--full` says the file
 * holds every order of the scope (a date-filtered export must not delete older orders).
 * `--scope` names the set: an ELECTIVE sheet source's name imports into that source's rows;
 * any other name is a scope of its own.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Command } from "../source.ts";
import { parseArgs, stringFlag } from "../../cli/args.ts";
import { DEFAULT_ELECTIVE_SCOPE, importElectiveCsv } from "./import-elective.ts";

export const electiveImportCommand: Command = {
  usage: "elective:import FILE.csv [--scope NAME] [--full] [--force]",
  summary: "import an Elective orders export (re-importing is a no-op; --full soft-deletes orders it lacks)",
  async run(ctx) {
    const args = parseArgs(ctx.args, ["scope", "full", "force"]);
    const [file, extra] = args.positionals;
    if (!file) throw new Error("give the exported file: elective:import FILE.csv");
    if (extra) throw new Error(`unexpected argument ${extra}`);
    if (args.flags.has("force") && !args.flags.has("full")) {
      throw new Error("--force only applies with --full");
    }
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new Error(`cannot read ${file}: no such file`);

    const db = await ctx.db();
    let scope = stringFlag(args, "scope")?.trim() || DEFAULT_ELECTIVE_SCOPE;
    // A sheet source of kind ELECTIVE (an export link pulled on a schedule) names its orders' scope.
    const source = await db.kysely.selectFrom("sheet_sources").select(["name", "kind", "url"])
      .where("name", "=", scope).executeTakeFirst();
    if (source?.kind === "ELECTIVE") {
      ctx.log(`importing into the orders of sheet source '${source.name}' (${source.url})`);
      scope = source.url;
    }
    const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
    const result = await importElectiveCsv(db.kysely, body, {
      scope,
      full: args.flags.has("full"),
      force: args.flags.has("force"),
      log: (line) => ctx.log(line),
    });
    for (const reason of result.rowErrors) ctx.log(`  ${reason}`);
    if (result.status === "FAILED") {
      throw new Error(`${file}: ${result.error} (sync_logs ${result.syncLogId})`);
    }
    ctx.log(
      `${result.status}: ${result.rows} orders: ${result.created} created, ${result.updated} updated, ` +
        `${result.unchanged} unchanged, ${result.deleted} deleted, ${result.failed} failed ` +
        `(scope ${result.scope}, sync_logs ${result.syncLogId})`,
    );
    if (result.links) {
      const { linked, ambiguous, ambiguousCount } = result.links;
      ctx.log(
        `${linked} orders linked to the Zapier feed's person; ${ambiguousCount} ambiguous (left unlinked)`,
      );
      for (const line of ambiguous) ctx.log(`  ambiguous: ${line}`);
    }
    if (!args.flags.has("full")) ctx.log("nothing was soft-deleted (an import is partial unless --full)");
    if (result.deleteRefused) {
      ctx.log(
        `safety valve: would soft-delete ${result.deleteRefused.wouldDelete} of ${result.deleteRefused.live} ` +
          `orders; nothing was deleted; add --force if the export really is complete`,
      );
    }
  },
};
