/**
 * Delivery: a webhook body read once. Its bytes are what the provider signed, its text what is
 * stored, and its JSON (parsed here, and nowhere else on the way in) what the source reads its
 * envelope from and maps to records.
 */
import { fromBase64, toBase64 } from "../crypto/encoding.ts";
import { jsonDepth, MAX_JSON_DEPTH } from "../sync/normalize.ts";

/** A delivery's body, decoded and parsed once. */
export interface Delivery {
  /** The raw bytes, as signed. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The bytes as UTF-8 text (invalid sequences replaced). */
  text: string;
  /**
   * The parsed body; `undefined` when it is not JSON the database can hold exactly (not JSON, not
   * UTF-8, or nested deeper than {@link MAX_JSON_DEPTH}).
   */
  json: unknown;
  /**
   * The jsonb text to store: the body itself, or for a body without `json`, `{"unparsed": text}` or
   * (not UTF-8, too deep) `{"unparsed_base64": bytes}`, so nothing a provider signed is lost.
   */
  stored: string;
}

/** Reads a body once. */
export function readDelivery(bytes: Uint8Array<ArrayBuffer>): Delivery {
  const utf8 = isUtf8(bytes);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (!utf8 || jsonDepth(text) > MAX_JSON_DEPTH) {
    return { bytes, text, json: undefined, stored: verbatim(bytes) };
  }
  try {
    return { bytes, text, json: JSON.parse(text, asStored), stored: text };
  } catch {
    return { bytes, text, json: undefined, stored: JSON.stringify({ unparsed: text }) };
  }
}

/** The body as `{"unparsed_base64": …}`: for bytes jsonb cannot hold exactly (a NUL escape). */
export function verbatim(bytes: Uint8Array): string {
  return JSON.stringify({ unparsed_base64: toBase64(bytes) });
}

/** True for a stored payload that kept the body verbatim instead of as JSON. */
export function isVerbatim(payload: unknown): boolean {
  return typeof payload === "object" && payload !== null &&
    ("unparsed" in payload || "unparsed_base64" in payload);
}

/**
 * The JSON a stored payload stands for: the payload itself, or for one kept verbatim as its bytes
 * (jsonb refused the body although it parsed, e.g. a number beyond jsonb's range), the body read
 * again from those bytes; `undefined` when the body was never JSON we can read.
 */
export function storedJson(payload: unknown): unknown {
  if (!isVerbatim(payload)) return payload;
  const encoded = (payload as { unparsed_base64?: unknown }).unparsed_base64;
  const bytes = typeof encoded === "string" ? fromBase64(encoded) : null;
  return bytes ? readDelivery(bytes).json : undefined;
}

/** The JSON object of a body, or `{}` when it is none (envelope fields are then absent). */
export function jsonObject(json: unknown): Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json)
    ? json as Record<string, unknown>
    : {};
}

/**
 * Numbers as JSON text can carry them: a literal too large for a double (`1e999999999`) is not
 * Infinity but `null`, and `-0` is `0`, as a round trip through JSON.stringify would leave them.
 */
function asStored(_key: string, value: unknown): unknown {
  if (typeof value !== "number") return value;
  if (!Number.isFinite(value)) return null;
  return Object.is(value, -0) ? 0 : value;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
