/**
 * electiveSource: Elective payment-plan orders, from its Zapier triggers (`elective-webhook`), its
 * orders export (`elective:import`) or an export link pulled as a sheet source of kind `ELECTIVE`.
 * The same order from the feed and from an export is counted once (README, "Elective").
 */
import type { Source } from "../source.ts";
import { createWebhookApp } from "../../webhooks/webhook-app.ts";
import { electiveTable } from "./table.ts";
import { electiveKind } from "./elective-kind.ts";
import { electiveWebhookSource } from "./webhook-source.ts";
import { electiveImportCommand } from "./cli-import.ts";

export const electiveSource = {
  name: "ELECTIVE",
  table: electiveTable,
  revenueColumn: "elective_usd",
  webhook: () => electiveWebhookSource(),
  functions: {
    "elective-webhook": (deps) => createWebhookApp(electiveWebhookSource(), deps.db, deps),
  },
  tabular: electiveKind,
  commands: { "elective:import": electiveImportCommand },
} as const satisfies Source;
