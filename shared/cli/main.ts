/**
 * The operator CLI: `npm run cli -- <command> [options]`. Each command is one file under
 * `commands/`; this file only dispatches, and turns any failure into one line and a non-zero exit.
 */
import { oneLine } from "../errors.ts";
import { type OpenDatabase, openDatabase } from "../db/open.ts";
import type { CommandContext } from "../sources/source.ts";
import { closeRuntimeDb } from "../db/runtime.ts";
import { describeDatabaseError, isUnavailable } from "../db/client.ts";
import { commands } from "./commands/index.ts";
import { sources } from "../sources/registry.ts";
import { runRemote, takeRemote } from "./remote.ts";

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(44)} ${c.summary}`);
    const remote = Object.entries(commands).filter(([, c]) => c.remote).map(([n]) => n).join(", ");
    console.log(
      `usage: npm run cli -- <command>\n\n${lines.join("\n")}\n\n` +
        `${remote} also take --remote https://<ref>.supabase.co: they then invoke the deployed function.`,
    );
    return name && name !== "help" && name !== "--help" ? 2 : 0;
  }
  let remote;
  try {
    remote = takeRemote(args);
    if (remote && !command.remote) throw new Error("has no --remote form; it runs on a database only");
  } catch (error) {
    console.error(`${name}: ${oneLine(error)}`);
    return 2;
  }
  if (remote) {
    try {
      await runRemote(command.remote!, remote.url, remote.rest, (line) => console.log(line));
      return 0;
    } catch (error) {
      console.error(`${name}: ${oneLine(error)}`);
      return 1;
    }
  }
  let database: OpenDatabase | null = null;
  const ctx: CommandContext = {
    args,
    async db() {
      database ??= await openDatabase({ max: 4 });
      // Functions called in-process (backfill slices) read DATABASE_URL, as on Supabase.
      Deno.env.set("DATABASE_URL", database.url);
      return database;
    },
    log: (line) => console.log(line),
    sources,
  };
  try {
    return (await command.run(ctx)) ?? 0;
  } catch (error) {
    const reason = isUnavailable(error) ? describeDatabaseError(error) : oneLine(error);
    console.error(`${name}: ${reason}`);
    return 1;
  } finally {
    await closeRuntimeDb().catch(() => {});
    await (database as OpenDatabase | null)?.close().catch(() => {});
  }
}

Deno.exit(await main(Deno.args));
