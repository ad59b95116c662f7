/**
 * whopSource: Whop memberships, payments and refunds, by webhook (`whop-webhook`) and by REST
 * backfill (`whop-backfill`, `whop:backfill`).
 */
import type { Source } from "../source.ts";
import { createWebhookApp } from "../../webhooks/webhook-app.ts";
import { whopTable } from "./table.ts";
import { whopWebhookSource } from "./webhook-source.ts";
import { createWhopBackfillApp } from "./backfill-app.ts";
import { whopBackfillCommand } from "./cli-backfill.ts";

export const whopSource = {
  name: "WHOP",
  table: whopTable,
  revenueColumn: "whop_usd",
  webhook: () => whopWebhookSource(),
  functions: {
    "whop-webhook": (deps) => createWebhookApp(whopWebhookSource(), deps.db, deps),
    "whop-backfill": (deps) => createWhopBackfillApp({ db: deps.db }),
  },
  commands: { "whop:backfill": whopBackfillCommand },
} as const satisfies Source;
