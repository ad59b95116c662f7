/**
 * errorResponse: the one place errors become HTTP answers. Callers get a one-line reason and
 * never a stack trace or a secret; the full error goes to the operator's log.
 */
import { ConfigError, oneLine, PayloadError, PayloadTooLargeError, SignatureError } from "../errors.ts";

/** A JSON answer. */
export function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** Maps a known error to its status; anything else is a 500 with a generic line. */
export function errorResponse(error: unknown): Response {
  if (error instanceof SignatureError) return json(401, { error: "unauthorized", reason: error.reason });
  if (error instanceof PayloadTooLargeError) {
    return json(413, { error: "payload too large", reason: error.message });
  }
  if (error instanceof PayloadError) return json(400, { error: "bad request", reason: error.message });
  if (error instanceof ConfigError) return json(500, { error: "misconfigured", reason: error.message });
  console.error(`unhandled error: ${oneLine(error)}`);
  return json(500, { error: "internal error", reason: "the function failed; see its logs" });
}
