/**
 * The registry: the one list of sources. Source names, the edge functions (and their generated
 * `functions/<name>/` entries), the CLI's source commands, replay and the report's columns all
 * derive from it. Adding a source is a folder under `shared/sources/`, one line here and one
 * migration calling `customer_sync_add_source` (README, "Adding a source").
 */
import { type Command, type FunctionDeps, type Source, tabularKindsOf } from "./source.ts";
import type { FetchApp } from "../http/local-router.ts";
import type { WebhookSource } from "../webhooks/webhook-app.ts";

import type { TabularKind } from "./tabular/tabular-kind.ts";
import { resetRuntimeDb, runtimeDb } from "../db/runtime.ts";
import { whopSource } from "./whop/source.ts";
import { ghlSource } from "./ghl/source.ts";
import { sheetSource } from "./sheets/source.ts";
import { electiveSource } from "./elective/source.ts";

/** Every source, in the order of their columns in `revenue_by_user`. */
export const sources = [
  whopSource,
  ghlSource,
  sheetSource,
  electiveSource,
] as const satisfies readonly Source[];

/** The name of a registered source (`WHOP`, `GHL`, …). */
export type SourceName = (typeof sources)[number]["name"];

/** The source called `name`, case-insensitively; `undefined` when there is none. */
export function findSource(name: string): Source | undefined {
  return (sources as readonly Source[]).find((s) => s.name === name.toUpperCase());
}

/** The names of every source's edge functions (`functions/<name>/`), sorted. */
export function functionNames(): string[] {
  return (sources as readonly Source[]).flatMap((s) => Object.keys(s.functions ?? {})).sort();
}

/**
 * The app of edge function `name`, built on the process's shared database: what
 * `functions/<name>/app.ts` exports and `npm start` serves.
 *
 * @throws Error when no source declares the function.
 */
export function createFunctionApp(name: string, deps: Partial<FunctionDeps> = {}): FetchApp {
  for (const source of sources as readonly Source[]) {
    const factory = source.functions?.[name];
    if (factory) {
      return factory({ db: runtimeDb, onDeadline: resetRuntimeDb, sources, ...deps });
    }
  }
  throw new Error(`no source declares a function named ${name}`);
}

/** The webhook handlers `replay` runs, one per source that receives webhooks. */
export function webhookSources(): WebhookSource[] {
  return (sources as readonly Source[]).flatMap((s) => (s.webhook ? [s.webhook()] : []));
}

/** The kinds of sheet source a pull can read: every source that brings a `tabular` reader. */
export function tabularKinds(): TabularKind[] {
  return tabularKindsOf(sources);
}

/** The commands the sources bring, by name. */
export function sourceCommands(): Record<string, Command> {
  return Object.assign({}, ...(sources as readonly Source[]).map((s) => s.commands ?? {}));
}
