/**
 * `ghl:backfill [--full] [--force] [--restart]`: reads every contact of `GHL_LOCATION_ID` into
 * `ghl_data`, resuming from the checkpoint a failed or interrupted run left.
 */
import type { Command } from "../source.ts";
import { parseArgs } from "../../cli/args.ts";
import { ConfigError } from "../../errors.ts";
import { env } from "../../env.ts";
import { ghlApiFromEnv } from "./ghl-api.ts";
import { runGhlBackfillSlice } from "./backfill.ts";

export const ghlBackfillCommand: Command = {
  usage: "ghl:backfill [--full] [--force] [--restart] [--remote URL]",
  summary: "read every HighLevel contact of GHL_LOCATION_ID (resumes; --full soft-deletes the missing)",
  async run(ctx) {
    const args = parseArgs(ctx.args, ["full", "force", "restart"]);
    if (args.positionals.length > 0) throw new Error(`unexpected argument ${args.positionals[0]}`);
    const locationId = env("GHL_LOCATION_ID");
    if (!locationId) throw new ConfigError("GHL_LOCATION_ID is not set");
    const api = ghlApiFromEnv();
    const db = await ctx.db();
    const slice = await runGhlBackfillSlice(db.kysely, {
      locationId,
      api,
      full: args.flags.has("full"),
      force: args.flags.has("force"),
      restart: args.flags.has("restart"),
      log: ctx.log,
    });
    if (slice.status === "busy") {
      throw new Error(`another ghl:backfill of ${locationId} is running; try again when it has finished`);
    }
    const result = slice.result!;
    ctx.log(
      `${result.status}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ` +
        `${result.deleted} deleted, ${result.failed} failed (sync_logs ${result.syncLogId})`,
    );
    if (result.deleteRefused) {
      ctx.log(
        `safety valve: would soft-delete ${result.deleteRefused.wouldDelete} of ${result.deleteRefused.live} ` +
          `contacts; nothing was deleted; run with --full --force if that is right`,
      );
    }
    return result.status === "SUCCESS" ? 0 : 1;
  },
  // `ghl-backfill` answers `status: "running"` while pages remain; `--restart` goes with the first call only.
  remote: {
    function: "ghl-backfill",
    flags: ["full", "force", "restart"],
    body: (args, first) => ({
      full: args.flags.has("full"),
      force: args.flags.has("force"),
      ...(first && args.flags.has("restart") ? { restart: true } : {}),
    }),
    read(answer) {
      const counts = answer.result === undefined
        ? ""
        : `; ${answer.result}: +${answer.created} ~${answer.updated} ` +
          `=${answer.unchanged} -${answer.deleted} !${answer.failed}`;
      const line = `${answer.status}: ${answer.pages} pages, ${answer.contacts} contacts${counts}`;
      if (answer.status === "busy") {
        return {
          line,
          more: false,
          failure: "another ghl:backfill is running; try again when it has finished",
        };
      }
      if (answer.status === "running") return { line, more: true };
      const refused = answer.delete_refused ? "; the safety valve refused the soft delete (use --force)" : "";
      const failed = answer.result !== undefined && answer.result !== "SUCCESS";
      return {
        line,
        more: false,
        ...(failed ? { failure: `the backfill ended ${answer.result}${refused}` } : {}),
      };
    },
  },
};
