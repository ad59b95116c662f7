/**
 * readBody: the raw request bytes, refused past a size limit without reading further, because a
 * signature is computed over the exact bytes and a huge body must not exhaust a 256 MB isolate.
 */
import { PayloadTooLargeError } from "../errors.ts";

/** Webhook bodies we accept: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the body, throwing PayloadTooLargeError as soon as it passes `limit` bytes. */
export async function readBody(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limit);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
