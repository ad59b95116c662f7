/**
 * Command: one operator command (`npm run cli -- <name>`). The core commands live in `commands/`;
 * a source brings its own through its `Source.commands`.
 */
import type { Db } from "../db/client.ts";

/**
 * The database a command works on. Declared here rather than taken from `db/open.ts`, so that a
 * source's commands (which the deployed functions import with their source) do not pull the
 * embedded database into a function's module graph.
 */
export interface CommandDatabase extends Db {
  url: string;
}

/** What a command receives. */
export interface CommandContext {
  args: string[];
  /** Opens the configured (or embedded) database once; closed after the command. */
  db(): Promise<CommandDatabase>;
  log(line: string): void;
}

/** One CLI command. */
export interface Command {
  usage: string;
  summary: string;
  /** Returns the exit code (default 0); throws with a one-line reason on failure. */
  run(ctx: CommandContext): Promise<number | void>;
}
