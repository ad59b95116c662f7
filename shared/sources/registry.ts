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
import { createDrainApp } from "../webhooks/drain-app.ts";

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

/**
 * Functions that belong to no single source: `webhook-drain` processes the stored deliveries of
 * every source that receives webhooks (each by its `webhook_events.source`).
 */
export const coreFunctions: Readonly<Record<string, (deps: FunctionDeps) => FetchApp>> = {
  "webhook-drain": (deps) => createDrainApp(deps.db, webhookSourcesOf(deps.sources)),
};

/** The names of every edge function (`functions/<name>/`): the sources' and the core ones, sorted. */
export function functionNames(): string[] {
  return [
    ...Object.keys(coreFunctions),
    ...(sources as readonly Source[]).flatMap((s) => Object.keys(s.functions ?? {})),
  ].sort();
}

/**
 * The app of edge function `name`, built on the process's shared database: what
 * `functions/<name>/app.ts` exports and `npm start` serves.
 *
 * @throws Error when no source declares the function.
 */
export function createFunctionApp(name: string, deps: Partial<FunctionDeps> = {}): FetchApp {
  const factory = coreFunctions[name] ??
    (sources as readonly Source[]).find((s) => s.functions?.[name])?.functions?.[name];
  if (!factory) throw new Error(`no source declares a function named ${name}`);
  return factory({ db: runtimeDb, onDeadline: resetRuntimeDb, sources, ...deps });
}

/** The webhook handlers `replay` and the drains run, one per source that receives webhooks. */
export function webhookSources(): WebhookSource[] {
  return webhookSourcesOf(sources);
}

function webhookSourcesOf(list: readonly Source[]): WebhookSource[] {
  return list.flatMap((s) => (s.webhook ? [s.webhook()] : []));
}

/** The kinds of sheet source a pull can read: every source that brings a `tabular` reader. */
export function tabularKinds(): TabularKind[] {
  return tabularKindsOf(sources);
}

/** The commands the sources bring, by name. */
export function sourceCommands(): Record<string, Command> {
  return Object.assign({}, ...(sources as readonly Source[]).map((s) => s.commands ?? {}));
}
