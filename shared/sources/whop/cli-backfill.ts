import type { Command } from "../source.ts";
import { parseArgs, stringFlag } from "../../cli/args.ts";
import { oneLine, UpstreamError } from "../../errors.ts";
import { WhopApi } from "./whop-api.ts";
import {
  DEFAULT_WHOP_PAGE_SIZE,
  runWhopBackfill,
  type WhopBackfillEvent,
  type WhopResourceResult,
} from "./backfill.ts";

/**
 * `whop:backfill [--full] [--force] [--page-size N]`: reads Whop's payments and memberships into
 * `whop_data`, resuming an interrupted backfill at its checkpoint. Exits 1 with one line when a
 * page fails (the next run resumes there) or the safety valve refused a full run's soft delete.
 */
export const whopBackfillCommand: Command = {
  usage: "whop:backfill [--full] [--force] [--page-size N] [--remote URL]",
  summary: "read Whop payments and memberships (resumes where it stopped; --full soft-deletes the rest)",
  async run(ctx) {
    const args = parseArgs(ctx.args, ["full", "force", "page-size"]);
    const pageSizeText = stringFlag(args, "page-size");
    const pageSize = pageSizeText === undefined ? DEFAULT_WHOP_PAGE_SIZE : Number(pageSizeText);
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new Error(`--page-size must be a positive integer`);
    }
    const api = WhopApi.fromEnv();
    const db = await ctx.db();
    let where = "before the first page";
    let result;
    try {
      result = await runWhopBackfill(db.kysely, api, {
        full: args.flags.has("full"),
        force: args.flags.has("force"),
        pageSize,
        onProgress(event) {
          if (event.type !== "finish") where = `at ${event.state.resource} page ${event.state.pages + 1}`;
          ctx.log(describe(event));
        },
      });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      throw new Error(
        `${oneLine(error)}; stopped ${where}, nothing was soft-deleted, the next run resumes there`,
      );
    }
    if (result.busy) {
      throw new Error("another whop:backfill is running; try again when it has finished");
    }
    const refused = result.finished.filter((r) => r.deleteRefused);
    if (refused.length > 0) {
      const { resource, deleteRefused } = refused[0];
      throw new Error(
        `safety valve: ${resource} would lose ${deleteRefused!.wouldDelete} of ${
          deleteRefused!.live
        } rows; ` +
          `nothing was deleted; rerun with --full --force if Whop really dropped them`,
      );
    }
    ctx.log("whop:backfill: done");
  },
  // `whop-backfill` runs one slice per call and answers `done: true` when both resources are read.
  remote: {
    function: "whop-backfill",
    flags: ["full"],
    body: (args) => ({ full: args.flags.has("full") }),
    read(answer) {
      if (answer.busy) {
        return {
          line: "busy",
          more: false,
          failure: "another whop:backfill is running; try again when it has finished",
        };
      }
      const finished = (answer.finished ?? []) as { resource: string; status: string; records: number }[];
      const line = `${answer.resource}: ${answer.pages} pages, ${answer.records} records` +
        finished.map((f) => `; ${f.resource} ${f.status} (${f.records} records)`).join("") +
        (answer.done ? "; done" : "");
      return { line, more: answer.done !== true };
    },
  },
};

function describe(event: WhopBackfillEvent): string {
  if (event.type === "finish") return finished(event.result);
  const s = event.state;
  if (event.type === "page") return `${s.resource}: page ${s.pages}, ${s.records} records so far`;
  const mode = s.full ? "full" : "incremental";
  const head = event.resumed
    ? `${s.resource}: resuming the ${mode} backfill at page ${s.pages + 1} (${s.records} records so far)`
    : `${s.resource}: ${mode} backfill from the first page`;
  return `${head}, sync_log ${s.runId}${event.note ? ` (${event.note})` : ""}`;
}

function finished(r: WhopResourceResult): string {
  return `${r.resource}: ${r.status} after ${r.pages} page${
    r.pages === 1 ? "" : "s"
  }, ${r.records} records: ${r.created} created, ` +
    `${r.updated} updated, ${r.unchanged} unchanged, ${r.deleted} deleted, ${r.failed} failed`;
}
