import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { whopWebhookSource } from "../../shared/sources/whop/webhook-source.ts";
import { resetRuntimeDb, runtimeDb } from "../../shared/db/runtime.ts";

/** Whop deliveries: verified, stored in `webhook_events`, then upserted into `whop_data`. */
export const app = createWebhookApp(whopWebhookSource(), runtimeDb, { onDeadline: resetRuntimeDb });
