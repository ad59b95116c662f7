/**
 * Command: one operator command (`npm run cli -- <name>`). The core commands live in `commands/`;
 * a source brings its own through its `Source.commands`.
 */
import type { OpenDatabase } from "../db/open.ts";

/** What a command receives. */
export interface CommandContext {
  args: string[];
  /** Opens the configured (or embedded) database once; closed after the command. */
  db(): Promise<OpenDatabase>;
  log(line: string): void;
}

/** One CLI command. */
export interface Command {
  usage: string;
  summary: string;
  /** Returns the exit code (default 0); throws with a one-line reason on failure. */
  run(ctx: CommandContext): Promise<number | void>;
}
