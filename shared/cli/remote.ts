/**
 * runRemote: a command's `--remote https://<ref>.supabase.co` form. It invokes the command's
 * deployed function through supabase-js (`functions.invoke`), with the project's API key
 * (`SUPABASE_SERVICE_ROLE_KEY` or `SUPABASE_ANON_KEY`) and the functions' own bearer secret
 * (`CRON_SECRET`; the functions have `verify_jwt = false` and check it themselves), one slice per
 * call, printing each answer, until the answer says nothing remains.
 */
import { FunctionsHttpError } from "@supabase/supabase-js";
import type { RemoteForm } from "../sources/source.ts";
import { ConfigError } from "../errors.ts";
import { env } from "../env.ts";
import { parseArgs } from "./args.ts";
import { createTypedClient } from "../supabase/typed-client.ts";

/** Enough for a backfill of millions of records; a loop past it is a bug, not progress. */
const MAX_CALLS = 10_000;

/** Removes `--remote URL` from `args`; `null` when it is not there. */
export function takeRemote(args: readonly string[]): { url: string; rest: string[] } | null {
  const at = args.findIndex((a) => a === "--remote" || a.startsWith("--remote="));
  if (at < 0) return null;
  const inline = args[at].startsWith("--remote=") ? args[at].slice("--remote=".length) : undefined;
  const url = inline ?? args[at + 1];
  if (!url || url.startsWith("--")) {
    throw new Error("--remote needs the project URL, https://<ref>.supabase.co");
  }
  const rest = [...args.slice(0, at), ...args.slice(at + (inline === undefined ? 2 : 1))];
  return { url, rest };
}

/** Runs `form` against the project at `url`; throws with one line on failure. */
export async function runRemote(
  form: RemoteForm,
  url: string,
  args: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  if (!/^https?:\/\/[^/]+\/?$/.test(url)) {
    throw new Error(`--remote ${url}: give the project URL only, such as https://<ref>.supabase.co`);
  }
  const key = env("SUPABASE_SERVICE_ROLE_KEY") ?? env("SUPABASE_ANON_KEY");
  if (!key) {
    throw new ConfigError(
      "--remote needs the project's API key in SUPABASE_ANON_KEY or SUPABASE_SERVICE_ROLE_KEY",
    );
  }
  const secret = env("CRON_SECRET");
  if (!secret) throw new ConfigError("--remote needs CRON_SECRET, the secret the deployed functions check");
  const parsed = parseArgs(args, form.flags);
  if (parsed.positionals.length > 0) throw new Error(`unexpected argument ${parsed.positionals[0]}`);
  const supabase = createTypedClient(url, key);
  for (let call = 1; call <= MAX_CALLS; call++) {
    const { data, error } = await supabase.functions.invoke<Record<string, unknown>>(form.function, {
      body: form.body(parsed, call === 1),
      headers: { Authorization: `Bearer ${secret}` },
    });
    if (error) throw new Error(`${form.function} (call ${call}): ${await reasonOf(error)}`);
    const answer = form.read(data ?? {});
    log(`${form.function} call ${call}: ${answer.line}`);
    if (answer.failure) throw new Error(answer.failure);
    if (!answer.more) return;
  }
  throw new Error(`${form.function} still had more to do after ${MAX_CALLS} calls; run the command again`);
}

/** The one-line reason of a failed invocation: the function's `{error, reason}`, else the error. */
async function reasonOf(error: Error): Promise<string> {
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    const text = await response.text().catch(() => "");
    try {
      const body = JSON.parse(text);
      return `${response.status} ${body.error ?? ""}${body.reason ? `: ${body.reason}` : ""}`.trim();
    } catch {
      return `${response.status} ${text.slice(0, 200)}`.trim();
    }
  }
  return error.message;
}
