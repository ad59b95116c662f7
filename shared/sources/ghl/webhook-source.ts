/**
 * ghlWebhookSource: how the webhook app authenticates, names and maps a HighLevel delivery
 * (sources.md 3.1–3.4). Two kinds arrive at the same URL:
 *
 * - marketplace-app deliveries, signed over the raw body (`X-GHL-Signature` Ed25519, the retiring
 *   `X-WH-Signature` RSA), named by the body's `webhookId`;
 * - workflow "Webhook" actions, unsigned, guarded by the shared `GHL_WORKFLOW_SECRET` in the
 *   `x-webhook-secret` header or the `?secret=` query, named by a hash of their bytes.
 */
import type { WebhookSource } from "../../webhooks/webhook-app.ts";
import { ConfigError, SignatureError } from "../../errors.ts";
import { env } from "../../env.ts";
import { sha256Hex } from "../../crypto/encoding.ts";
import { type GhlKeys, importGhlKeys, verifyGhlSignature } from "./ghl-signature.ts";
import { verifyWorkflowSecret } from "./workflow-secret.ts";
import { workflowDeliveryId } from "./workflow-delivery-id.ts";
import { ghlEventFromJson, isStale, unrecognisedGhlBody, WORKFLOW_EVENT_TYPE } from "./parse-ghl-event.ts";
import { jsonObject } from "../../webhooks/delivery.ts";
import { ghlEventToRecords } from "./map-ghl-event.ts";
import { parseGhlDate } from "./ghl-date.ts";
import { ghlTable } from "./table.ts";

/**
 * How far back a marketplace `timestamp` may lie. HighLevel retries a 429 about every 10 minutes
 * for about 70 minutes and may keep the original timestamp on a retry (sources.md 3.1–3.2), so a
 * 5-minute window would refuse its own retries. The window only bounds how old a captured delivery
 * can be when replayed; the real replay guard is the `webhookId` dedupe in `webhook_events`, which
 * turns any repeat of a stored delivery into a no-op.
 */
export const GHL_REPLAY_WINDOW_SECONDS_DEFAULT = 4500;

/** Header names a marketplace delivery is signed in. */
const SIGNATURE_HEADERS = ["X-GHL-Signature", "X-WH-Signature"] as const;
/** Header carrying the workflow secret (the query form is `?secret=`). */
export const WORKFLOW_SECRET_HEADER = "x-webhook-secret";

/** Options of {@link ghlWebhookSource}; each defaults to its environment variable. */
export interface GhlWebhookSourceOptions {
  /** SPKI PEM of the Ed25519 key (default `GHL_ED25519_PUBLIC_KEY`, else HighLevel's published key). */
  ed25519Pem?: string;
  /** SPKI PEM of the RSA key (default `GHL_RSA_PUBLIC_KEY`, else HighLevel's published key). */
  rsaPem?: string;
  /** The workflow secret (default `GHL_WORKFLOW_SECRET`, read per request). */
  workflowSecret?: () => string | undefined;
  /** The replay window in seconds (default `GHL_REPLAY_WINDOW_SECONDS`, else 4500). */
  replayWindowSeconds?: number;
  /** The clock the replay window is measured on. */
  now?: () => Date;
}

/**
 * The HighLevel source.
 *
 * Keys are imported once, on the first signed delivery, and the promise is kept for the life of
 * the source (one per process in a function); a failed import is forgotten so the next delivery
 * tries again and answers the same clear 500.
 *
 * @example
 *   export const app = createWebhookApp(ghlWebhookSource(), runtimeDb);
 */
export function ghlWebhookSource(options: GhlWebhookSourceOptions = {}): WebhookSource {
  let keys: Promise<GhlKeys> | null = null;
  const keysOnce = (): Promise<GhlKeys> => {
    keys ??= importGhlKeys({
      ed25519Pem: options.ed25519Pem ?? env("GHL_ED25519_PUBLIC_KEY"),
      rsaPem: options.rsaPem ?? env("GHL_RSA_PUBLIC_KEY"),
    }).catch((error) => {
      keys = null;
      throw error;
    });
    return keys;
  };
  const workflowSecret = options.workflowSecret ?? (() => env("GHL_WORKFLOW_SECRET"));
  const now = options.now ?? (() => new Date());

  return {
    source: "GHL",
    table: ghlTable,
    // HighLevel retries only a 429; any other failure status is final (sources.md 3.2).
    unavailableStatus: 429,
    async authenticate(request, { bytes: body, json }) {
      if (SIGNATURE_HEADERS.some((name) => isPresent(request.headers.get(name)))) {
        await verifyGhlSignature({ headers: request.headers, body, keys: await keysOnce() });
        // A signed body that is not a JSON object is still stored (and fails processing, visibly).
        const envelope = jsonObject(json);
        const windowSeconds = options.replayWindowSeconds ?? replayWindowFromEnv();
        const sentAt = parseGhlDate(envelope.timestamp);
        if (isStale(sentAt, now(), windowSeconds)) {
          throw new SignatureError(
            `timestamp ${String(envelope.timestamp)} is older than ${windowSeconds} s`,
          );
        }
        const webhookId = typeof envelope.webhookId === "string" ? envelope.webhookId.trim() : "";
        if (webhookId !== "") {
          return { eventId: webhookId, eventType: typeof envelope.type === "string" ? envelope.type : null };
        }
        // Without a webhookId the signed bytes name the delivery: a retry is a no-op, and the same
        // body after another delivery about the same contact is a new one (storeDelivery).
        return {
          eventId: `body_${await sha256Hex(new Uint8Array(body))}`,
          eventType: typeof envelope.type === "string" ? envelope.type : null,
          subject: textOf(envelope.id) ?? textOf(envelope._id),
        };
      }
      const provided = providedSecret(request);
      if (provided === null) {
        throw new SignatureError("missing signature (X-GHL-Signature, X-WH-Signature or a workflow secret)");
      }
      verifyWorkflowSecret({ provided, expected: workflowSecret() });
      return {
        eventId: await workflowDeliveryId(body),
        eventType: WORKFLOW_EVENT_TYPE,
        subject: textOf(jsonObject(json).contact_id),
      };
    },
    toRecords(payload) {
      // A body of no known kind (the InvoicePaid example has no type) is kept and ignored, never
      // failed, so replay leaves it alone.
      const ignored = unrecognisedGhlBody(payload);
      if (ignored !== null) return { records: [], ignored };
      return ghlEventToRecords(ghlEventFromJson(payload));
    },
  };
}

function textOf(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** A header value that HighLevel means as a signature (its `N/A` placeholder means none). */
function isPresent(value: string | null): boolean {
  const trimmed = value?.trim() ?? "";
  return trimmed !== "" && trimmed.toUpperCase() !== "N/A";
}

/** The workflow secret from the header, else from the query; `null` when neither carries one. */
function providedSecret(request: Request): string | null {
  const header = request.headers.get(WORKFLOW_SECRET_HEADER);
  if (header !== null && header !== "") return header;
  const query = new URL(request.url).searchParams.get("secret");
  return query !== null && query !== "" ? query : null;
}

function replayWindowFromEnv(): number {
  const value = env("GHL_REPLAY_WINDOW_SECONDS");
  if (value === undefined) return GHL_REPLAY_WINDOW_SECONDS_DEFAULT;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ConfigError("GHL_REPLAY_WINDOW_SECONDS must be a positive number of seconds");
  }
  return seconds;
}
