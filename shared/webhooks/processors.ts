/**
 * Every source whose webhook deliveries land in `webhook_events`, for replay. Adding a webhook
 * source means adding it here and giving it a function folder.
 */
import type { WebhookProcessor } from "./inbox.ts";
import { whopWebhookSource } from "../sources/whop/webhook-source.ts";
import { ghlWebhookSource } from "../sources/ghl/webhook-source.ts";

/** The processors `replay` can run. */
export function webhookProcessors(): WebhookProcessor[] {
  return [whopWebhookSource(), ghlWebhookSource()];
}
