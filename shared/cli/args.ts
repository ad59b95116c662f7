/**
 * Tiny flag parsing for CLI commands: `--flag`, `--name value`, `--name=value`, and positionals.
 */

/** Parsed arguments. */
export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
}

/** Parses `args`; throws with a one-line reason on an unknown flag when `known` is given. */
export function parseArgs(args: readonly string[], known?: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (known && !known.includes(name)) {
      throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(", ")})`);
    }
    if (inline !== undefined) flags.set(name, inline);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) flags.set(name, args[++i]);
    else flags.set(name, true);
  }
  return { flags, positionals };
}

/** A string flag's value, or `undefined`. */
export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.flags.get(name);
  return typeof v === "string" ? v : undefined;
}
