/**
 * errorResponse: the one place errors become HTTP answers, all in one shape, `{error, reason}`.
 * Callers get a one-line reason and never a stack trace or a secret; the full error goes to the
 * operator's log.
 *
 * | error | status |
 * | --- | --- |
 * | SignatureError | 401 |
 * | PayloadTooLargeError | 413 |
 * | PayloadError | 400 |
 * | NotFoundError | 404 |
 * | UpstreamError (a provider failed past its retries; a resumable run resumes) | 502 |
 * | UnavailableError | its status (503, or 429 for HighLevel) |
 * | the database unreachable | 503 |
 * | ConfigError | 500, naming the setting |
 * | anything else | 500, generic |
 */
import {
  ConfigError,
  NotFoundError,
  oneLine,
  PayloadError,
  PayloadTooLargeError,
  SignatureError,
  UnavailableError,
  UpstreamError,
} from "../errors.ts";
import { isUnavailable } from "../db/client.ts";

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
  if (error instanceof NotFoundError) return json(404, { error: "not found", reason: error.message });
  if (error instanceof UpstreamError) return json(502, { error: "upstream", reason: oneLine(error) });
  if (error instanceof UnavailableError) {
    return json(error.status, { error: error.label, reason: error.reason });
  }
  if (isUnavailable(error)) {
    return json(503, { error: "unavailable", reason: "the database cannot be reached now; retry" });
  }
  if (error instanceof ConfigError) return json(500, { error: "misconfigured", reason: error.message });
  console.error(`unhandled error: ${oneLine(error)}`);
  return json(500, { error: "internal error", reason: "the function failed; see its logs" });
}
