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

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(44)} ${c.summary}`);
    console.log(`usage: npm run cli -- <command>\n\n${lines.join("\n")}`);
    return name && name !== "help" && name !== "--help" ? 2 : 0;
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
