import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { ghlWebhookSource } from "../../shared/sources/ghl/webhook-source.ts";
import { resetRuntimeDb, runtimeDb } from "../../shared/db/runtime.ts";

/**
 * HighLevel deliveries (marketplace-app events and workflow webhooks): verified, stored in
 * `webhook_events`, then upserted into `ghl_data`. Answers 429 when the database cannot take them.
 */
export const app = createWebhookApp(ghlWebhookSource(), runtimeDb, { onDeadline: resetRuntimeDb });
