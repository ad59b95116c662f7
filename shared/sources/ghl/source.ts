/**
 * ghlSource: HighLevel contacts, by webhook (`ghl-webhook`: marketplace events and workflow
 * webhooks) and by REST backfill and nightly reconcile (`ghl-backfill`, `ghl:backfill`).
 */
import type { Source } from "../source.ts";
import { createWebhookApp } from "../../webhooks/webhook-app.ts";
import { ghlTable } from "./table.ts";
import { ghlWebhookSource } from "./webhook-source.ts";
import { createGhlBackfillApp } from "./backfill-app.ts";
import { ghlBackfillCommand } from "./cli-backfill.ts";

export const ghlSource = {
  name: "GHL",
  table: ghlTable,
  // HighLevel's payments are the same sales Whop and the sheets already report (README, "Revenue").
  revenueColumn: null,
  webhook: () => ghlWebhookSource(),
  functions: {
    "ghl-webhook": (deps) => createWebhookApp(ghlWebhookSource(), deps.db, deps),
    "ghl-backfill": (deps) => createGhlBackfillApp({ db: deps.db }),
  },
  commands: { "ghl:backfill": ghlBackfillCommand },
} as const satisfies Source;
