/**
 * Reads configuration from the environment under Deno (edge functions) and Node (tests, tools).
 */

type DenoLike = { env: { get(name: string): string | undefined } };

/** The variable's value, or `undefined` when unset or empty. */
export function env(name: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  const value = deno
    ? deno.env.get(name)
    : (globalThis as { process?: { env: Record<string, string | undefined> } })
      .process?.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The variable's value or `fallback`. */
export function envOr(name: string, fallback: string): string {
  return env(name) ?? fallback;
}
