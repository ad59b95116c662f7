/**
 * `sheets:pull [--source NAME] [--due] [--force]`: pulls every enabled sheet source (or one, or
 * only the due ones) now, to the end, printing the column detection and the outcome of each.
 */
import { type Command, tabularKindsOf } from "../source.ts";
import { parseArgs, stringFlag } from "../../cli/args.ts";
import { pullSheets } from "./pull-due.ts";
import type { PullSummary } from "./pull.ts";

/** A `sheets-pull` answer's summary of one source (`summaryJson`). */
interface RemoteSummary {
  source: string;
  status: string;
  done: boolean;
  created: number;
  updated: number;
  deleted: number;
  failed: number;
  rows: number;
  error?: string;
}

export const sheetsPullCommand: Command = {
  usage: "sheets:pull [--source NAME] [--due] [--force] [--remote URL]",
  summary: "pull every enabled sheet source now (or one; --due: only those due by their schedule)",
  async run(ctx) {
    const args = parseArgs(ctx.args, ["source", "due", "force"]);
    if (args.positionals.length > 0) throw new Error(`unexpected argument ${args.positionals[0]}`);
    if (args.flags.has("source") && !stringFlag(args, "source")) throw new Error("--source needs a name");
    const db = await ctx.db();
    const summaries = await pullSheets(db.kysely, {
      kinds: tabularKindsOf(ctx.sources),
      source: stringFlag(args, "source"),
      dueOnly: args.flags.has("due"),
      force: args.flags.has("force"),
      log: ctx.log,
    });
    if (summaries.length === 0) {
      ctx.log(
        args.flags.has("due") ? "no sheet source is due" : "no enabled sheet source; add one with sheets:add",
      );
      return;
    }
    for (const s of summaries) {
      ctx.log(describe(s));
      if (s.incomplete) ctx.log(`  ${s.incomplete}`);
      for (const reason of s.rowErrors) ctx.log(`  ${reason}`);
      if (s.summaryRows.count > 0) {
        const more = s.summaryRows.count > s.summaryRows.rowNumbers.length ? ", …" : "";
        ctx.log(
          `  skipped ${s.summaryRows.count} summary row(s) (Total, Subtotal, a sum of the rows above), ` +
            `not counted: row ${s.summaryRows.rowNumbers.join(", ")}${more}`,
        );
      }
      if (s.deleteRefused) {
        ctx.log(
          `  safety valve: would soft-delete ${s.deleteRefused.wouldDelete} of ${s.deleteRefused.live} rows; ` +
            `nothing was deleted; run again with --force if the sheet really lost them`,
        );
      }
    }
    throwIfFailed(summaries);
  },
  // `sheets-pull` pulls the due sources (`{}`, as the cron tick) or one (`--source`), a slice per call.
  remote: {
    function: "sheets-pull",
    flags: ["source"],
    body: (args) => {
      const source = stringFlag(args, "source");
      return source ? { source } : {};
    },
    read(answer) {
      const summaries = (answer.sources ?? []) as RemoteSummary[];
      if (summaries.length === 0) return { line: "no sheet source is due", more: false };
      const line = summaries.map((s) =>
        s.error
          ? `${s.source} ${s.status}: ${s.error}`
          : `${s.source} ${s.status}${
            s.done ? "" : " (resumes)"
          }: ${s.rows} rows, +${s.created} ~${s.updated} ` +
            `-${s.deleted} !${s.failed}`
      ).join("; ");
      try {
        throwIfFailed(summaries);
      } catch (error) {
        return { line, more: false, failure: (error as Error).message };
      }
      return { line, more: summaries.some((s) => !s.done) };
    },
  },
};

function throwIfFailed(summaries: readonly { source: string; status: string; error?: string }[]): void {
  const failed = summaries.filter((s) => s.status === "FAILED" || s.status === "BUSY");
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${summaries.length} source(s) not pulled: ` +
        failed.map((s) => `${s.source} (${s.error})`).join("; "),
    );
  }
}

function describe(s: PullSummary): string {
  const where = s.syncLogId ? ` (sync_logs ${s.syncLogId})` : "";
  if (s.status === "FAILED" || s.status === "BUSY" || s.status === "DEFERRED") {
    return `${s.source}: ${s.status}: ${s.error}${where}`;
  }
  return `${s.source}: ${s.status}: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ` +
    `${s.deleted} deleted, ${s.failed} failed${where}`;
}
