/**
 * A delivery id for workflow webhooks, which carry none of their own (sources.md 3.4).
 */

import { sha256Hex } from "../../crypto/encoding.ts";

/**
 * `"wf_"` + the SHA-256 hex of the raw body bytes. An identical repeat (a workflow retry, or the
 * same action fired twice with nothing changed) gets the same id, so the inbox stores it once.
 */
export async function workflowDeliveryId(body: Uint8Array): Promise<string> {
  // The copy is backed by a plain ArrayBuffer, which WebCrypto's digest accepts on both runtimes.
  return `wf_${await sha256Hex(new Uint8Array(body))}`;
}
