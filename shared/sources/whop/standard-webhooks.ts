/**
 * Standard Webhooks (https://www.standardwebhooks.com) `v1` signatures: HMAC-SHA256 over
 * `{id}.{timestamp}.{raw body}`, base64-encoded, in `webhook-signature`. Whop signs its v1
 * webhooks this way (sources.md 1, 2.1).
 */

import { fromBase64, hmacSha256, timingSafeEqual, toBase64, utf8 } from "../../crypto/encoding.ts";
import { ConfigError, SignatureError } from "../../errors.ts";

/** The reference library's window: a delivery older or newer than this is refused as a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = "whsec_";

/** What `verifyStandardWebhook` checks. */
export interface StandardWebhookInput {
  /** The request headers (the `Headers` lookup is case-insensitive, as the spec requires). */
  headers: Headers;
  /** The body exactly as received; any re-encoding would break the signature. */
  body: Uint8Array;
  /** `whsec_<base64>` as the spec issues it, or any other string (Whop's `ws_…`) used verbatim. */
  secret: string;
  now?: Date;
  toleranceSeconds?: number;
}

/** A verified delivery: the stable `webhook-id` (the idempotency key) and when it was sent. */
export interface VerifiedWebhook {
  id: string;
  timestamp: Date;
}

/**
 * Verifies a Standard Webhooks delivery.
 *
 * @throws SignatureError with a short reason: missing headers, a malformed timestamp or signature
 *   header, a timestamp outside the tolerance (either direction), or no matching `v1` signature.
 * @throws ConfigError when the secret is empty or a `whsec_` secret is not base64.
 *
 * @example
 * const { id } = await verifyStandardWebhook({ headers: req.headers, body, secret });
 */
export async function verifyStandardWebhook(input: StandardWebhookInput): Promise<VerifiedWebhook> {
  const key = webhookKey(input.secret);
  const id = input.headers.get("webhook-id");
  const timestampText = input.headers.get("webhook-timestamp");
  const signatureHeader = input.headers.get("webhook-signature");
  const missing = [
    id ? null : "webhook-id",
    timestampText ? null : "webhook-timestamp",
    signatureHeader ? null : "webhook-signature",
  ].filter((name) => name !== null);
  if (!id || !timestampText || !signatureHeader) {
    throw new SignatureError(`missing header ${missing.join(", ")}`);
  }

  if (!/^\d{1,12}$/.test(timestampText.trim())) throw new SignatureError("malformed webhook-timestamp");
  const timestamp = Number(timestampText.trim());
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new SignatureError(`timestamp outside the ${tolerance} s tolerance`);
  }

  const candidates = v1Signatures(signatureHeader);
  if (candidates.length === 0) throw new SignatureError("malformed webhook-signature: no v1 entry");

  // The timestamp text is signed as sent (not re-rendered from the number), as the sender signed it.
  const expected = await hmacSha256(key, signedContent(id, timestampText.trim(), input.body));
  // Every candidate is compared, so the time taken does not reveal which entry came close.
  let matched = false;
  for (const candidate of candidates) {
    if (timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw new SignatureError("no matching signature");
  return { id, timestamp: new Date(timestamp * 1000) };
}

/** What `signStandardWebhook` signs. */
export interface StandardWebhookSigning {
  id: string;
  /** The send time: a `Date` or Unix seconds. */
  timestamp: Date | number;
  body: Uint8Array | string;
  secret: string;
}

/**
 * The three Standard Webhooks headers for a delivery, signed as a sender would sign it. For tests,
 * benchmarks and the example request `npm start` prints.
 */
export async function signStandardWebhook(input: StandardWebhookSigning): Promise<Record<string, string>> {
  const seconds = typeof input.timestamp === "number"
    ? Math.floor(input.timestamp)
    : Math.floor(input.timestamp.getTime() / 1000);
  const body = typeof input.body === "string" ? utf8(input.body) : input.body;
  const signature = await hmacSha256(
    webhookKey(input.secret),
    signedContent(input.id, String(seconds), body),
  );
  return {
    "webhook-id": input.id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": `v1,${toBase64(signature)}`,
  };
}

/**
 * The HMAC key for a secret. A `whsec_` secret carries its key in base64. Whop shows a `ws_…`
 * secret and its docs hand the library `btoa(secret)`, which the library decodes again, so the key
 * is the secret's own UTF-8 bytes; stripping or decoding it would never match (sources.md 2.1).
 */
function webhookKey(secret: string): Uint8Array<ArrayBuffer> {
  if (secret === "") throw new ConfigError("webhook secret is empty");
  if (!secret.startsWith(SECRET_PREFIX)) return utf8(secret);
  const key = fromBase64(secret.slice(SECRET_PREFIX.length));
  if (!key || key.length === 0) throw new ConfigError("webhook secret starts with whsec_ but is not base64");
  return key;
}

/** `{id}.{timestamp}.` followed by the body bytes, untouched. */
function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = utf8(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix, 0);
  content.set(body, prefix.length);
  return content;
}

/** The decoded `v1` signatures of the header; other versions (`v1a` Ed25519) are skipped. */
function v1Signatures(header: string): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  for (const entry of header.trim().split(/\s+/)) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const bytes = fromBase64(entry.slice(comma + 1));
    if (bytes && bytes.length > 0) signatures.push(bytes);
  }
  return signatures;
}
