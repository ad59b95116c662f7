/**
 * contentHash: a fingerprint of a record's serialised content, so a re-sync can ask the database
 * which records changed without sending every raw object again.
 *
 * SHA-256 from `node:crypto` (native, synchronous; Deno and Supabase Edge provide it): hashing
 * 100,000 Whop payments takes about half a second, where WebCrypto's per-call promise costs more
 * than the hash and a hash in TypeScript runs at a tenth of the speed.
 */
import { createHash } from "node:crypto";

/** Base64 SHA-256 of the text's UTF-8 bytes (44 characters). */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("base64");
}
