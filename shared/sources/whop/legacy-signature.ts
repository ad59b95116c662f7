/**
 * Whop's legacy (v2/v5) webhook signature: `x-whop-signature: t=<unix>,v1=<hex>` where the hex is
 * HMAC-SHA256 under the secret's UTF-8 bytes of `<t>.<raw body>` (sources.md 2.1, [OLD] webhooks.ts).
 */

import { hmacSha256, timingSafeEqualText, toHex, utf8 } from "../../crypto/encoding.ts";
import { ConfigError, SignatureError } from "../../errors.ts";
import { DEFAULT_TOLERANCE_SECONDS } from "./standard-webhooks.ts";

/** The header Whop's legacy webhooks carry their signature in. */
export const LEGACY_SIGNATURE_HEADER = "x-whop-signature";

/** What `verifyWhopLegacySignature` checks. */
export interface WhopLegacySignatureInput {
  /** The `x-whop-signature` value, or null when the request has none. */
  header: string | null | undefined;
  /** The body exactly as received. */
  body: Uint8Array | string;
  /** The webhook secret, used verbatim as the HMAC key. */
  secret: string;
  now?: Date;
  toleranceSeconds?: number;
}

/**
 * Verifies a legacy Whop signature and returns the signed send time.
 *
 * @throws SignatureError with a short reason: missing or malformed header, timestamp outside the
 *   window (300 s either direction, as Whop's old SDK checked), or no matching `v1`.
 * @throws ConfigError when the secret is empty.
 */
export async function verifyWhopLegacySignature(
  input: WhopLegacySignatureInput,
): Promise<{ timestamp: Date }> {
  if (input.secret === "") throw new ConfigError("webhook secret is empty");
  if (!input.header) throw new SignatureError(`missing header ${LEGACY_SIGNATURE_HEADER}`);

  const { t, v1 } = parseHeader(input.header);
  if (t === null || !/^\d{1,12}$/.test(t)) {
    throw new SignatureError(`malformed ${LEGACY_SIGNATURE_HEADER}: no t=`);
  }
  if (v1.length === 0) throw new SignatureError(`malformed ${LEGACY_SIGNATURE_HEADER}: no v1=`);

  const timestamp = Number(t);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new SignatureError(`timestamp outside the ${tolerance} s tolerance`);
  }

  const expected = await legacySignature(input.secret, t, input.body);
  let matched = false;
  for (const candidate of v1) {
    if (timingSafeEqualText(candidate.toLowerCase(), expected)) matched = true;
  }
  if (!matched) throw new SignatureError("no matching signature");
  return { timestamp: new Date(timestamp * 1000) };
}

/**
 * The `x-whop-signature` value a legacy sender would attach, for tests and local examples.
 *
 * @example
 * const header = await signWhopLegacySignature({ body, secret, timestamp: new Date() });
 */
export async function signWhopLegacySignature(input: {
  body: Uint8Array | string;
  secret: string;
  /** A `Date` or Unix seconds. */
  timestamp: Date | number;
}): Promise<string> {
  const seconds = typeof input.timestamp === "number"
    ? Math.floor(input.timestamp)
    : Math.floor(input.timestamp.getTime() / 1000);
  return `t=${seconds},v1=${await legacySignature(input.secret, String(seconds), input.body)}`;
}

async function legacySignature(secret: string, t: string, body: Uint8Array | string): Promise<string> {
  const prefix = utf8(`${t}.`);
  const bytes = typeof body === "string" ? utf8(body) : body;
  const content = new Uint8Array(prefix.length + bytes.length);
  content.set(prefix, 0);
  content.set(bytes, prefix.length);
  return toHex(await hmacSha256(utf8(secret), content));
}

/** `t=…,v1=…[,v1=…]`; unknown keys are ignored so a future `v2=` does not break verification. */
function parseHeader(header: string): { t: string | null; v1: string[] } {
  let t: string | null = null;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const equals = part.indexOf("=");
    if (equals < 0) continue;
    const name = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (name === "t") t = value;
    else if (name === "v1" && value !== "") v1.push(value);
  }
  return { t, v1 };
}
