/**
 * Source: everything customer-sync knows about one place customers and money come from, in the
 * spirit of Kysely's `Dialect`: one object per source folder, listed once in `registry.ts`. The
 * layers below (`shared/sync`, `shared/webhooks`, `shared/http`, `shared/db`) never name a source;
 * the registry derives the source names, the function entries, the CLI and the report from these.
 *
 * @example
 *   export const stripeSource = {
 *     name: "STRIPE",
 *     table: stripeTable,
 *     revenueColumn: "stripe_usd",
 *     webhook: () => stripeWebhookSource(),
 *     functions: { "stripe-webhook": (deps) => createWebhookApp(stripeWebhookSource(), deps.db, deps) },
 *   } as const satisfies Source;
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import type { SourceTable } from "../sync/source-table.ts";
import type { WebhookSource } from "../webhooks/webhook-app.ts";
import type { FetchApp } from "../http/local-router.ts";
import type { Db } from "../db/client.ts";
import type { TabularKind } from "./tabular/tabular-kind.ts";
import type { ParsedArgs } from "../cli/args.ts";

/** What a function's app is built with, in a deployed function and under `npm start` alike. */
export interface FunctionDeps {
  /** The process's shared database (`DATABASE_URL`, on Supabase `SUPABASE_DB_URL`). */
  db: () => Kysely<Database>;
  /** Replaces a pool that stopped answering (see `resetRuntimeDb`). */
  onDeadline?: () => void;
  /** Every registered source, for functions that work across sources (sheet pulls, replay). */
  sources: readonly Source[];
}

/** One source. Only `name`, `table` and `revenueColumn` are required. */
export interface Source {
  /** `sync_logs.source`, `webhook_events.source` and `customer_sync_sources.name`: upper case. */
  readonly name: string;
  /** Where its records live; the engine writes through this description alone. */
  readonly table: SourceTable;
  /**
   * Its column in `revenue_by_user` (`customer_sync_sources.revenue_column`), or `null` for a source
   * whose rows are no revenue of their own (HighLevel: README, "Revenue"); its rows then count in no
   * revenue view.
   */
  readonly revenueColumn: string | null;
  /** How its webhook deliveries are verified, named and mapped (stored deliveries are replayed with it). */
  readonly webhook?: () => WebhookSource;
  /** Its edge functions by Supabase name (`functions/<name>/` is generated from these). */
  readonly functions?: Readonly<Record<string, (deps: FunctionDeps) => FetchApp>>;
  /** How its rows are read from a sheet or CSV export (`sheet_sources.kind` = `name`), if it has such. */
  readonly tabular?: TabularKind;
  /** Its operator commands by name (`npm run cli -- <name>`). */
  readonly commands?: Readonly<Record<string, Command>>;
}

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
  /** Every registered source, for commands that work across sources. */
  sources: readonly Source[];
}

/**
 * One operator command (`npm run cli -- <name>`): the core commands live in `shared/cli/commands/`,
 * a source brings its own through {@link Source.commands}.
 */
export interface Command {
  usage: string;
  summary: string;
  /** Returns the exit code (default 0); throws with a one-line reason on failure. */
  run(ctx: CommandContext): Promise<number | void>;
  /** How the command runs on a deployed project instead (`--remote https://<ref>.supabase.co`). */
  remote?: RemoteForm;
}

/**
 * A command's `--remote` form: the deployed function that does its work one slice per call, which
 * the CLI invokes through supabase-js until the answer says nothing remains.
 */
export interface RemoteForm {
  /** The edge function's name. */
  function: string;
  /** The options the command accepts with `--remote`. */
  flags: readonly string[];
  /** The body of a call; `first` is the first call of the run. */
  body(args: ParsedArgs, first: boolean): Record<string, unknown>;
  /** What one answer says: a progress line, whether to call again, and a failure if it failed. */
  read(answer: Record<string, unknown>): { line: string; more: boolean; failure?: string };
}

/** The kinds of sheet source a pull can read: those of every source that brings a `tabular` reader. */
export function tabularKindsOf(sources: readonly Source[]): TabularKind[] {
  return sources.flatMap((s) => (s.tabular ? [s.tabular] : []));
}
