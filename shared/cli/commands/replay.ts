import type { Command } from "../../sources/source.ts";
import { parseArgs, stringFlag } from "../args.ts";
import { replayEvents } from "../../webhooks/inbox.ts";
import type { WebhookStatus } from "../../db/types.ts";
import { webhookSources } from "../../sources/registry.ts";

export const replayCommand: Command = {
  usage: "replay [--source S] [--status failed|pending]",
  summary: "process stored webhook deliveries again (failed, and pending ones left by a crash)",
  async run(ctx) {
    const args = parseArgs(ctx.args, ["source", "status"]);
    const source = stringFlag(args, "source")?.toUpperCase();
    const status = stringFlag(args, "status")?.toLowerCase();
    if (status && !["failed", "pending"].includes(status)) {
      throw new Error(`--status must be failed or pending, not ${status}`);
    }
    const processors = webhookSources().filter((p) => !source || p.source === source);
    if (processors.length === 0) {
      throw new Error(
        `unknown --source ${source} (known: ${webhookSources().map((p) => p.source).join(", ")})`,
      );
    }
    const db = await ctx.db();
    const tally = await replayEvents(db.kysely, processors, {
      statuses: status ? [status as WebhookStatus] : undefined,
      minAgeSeconds: status === "pending" ? 0 : undefined,
    });
    ctx.log(
      `replayed: ${tally.processed} processed, ${tally.ignored} ignored, ${tally.failed} still failing`,
    );
    return tally.failed > 0 ? 1 : 0;
  },
};
