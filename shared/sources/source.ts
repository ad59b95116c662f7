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
import type { Command } from "../cli/command.ts";

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
  /** Its operator commands by name (`npm run cli -- <name>`). */
  readonly commands?: Readonly<Record<string, Command>>;
}
