/**
 * How calls to HighLevel's API are retried (sources.md 3.5): every attempt waits its turn in the
 * sliding-window limiter; a 429 is waited out for its `Retry-After` (else a backoff) by pausing the
 * limiter, so every request sharing the location's budget holds; 408, 5xx and network errors
 * (timeouts included) back off with jitter; a 429 after the daily limit is spent fails at once.
 */

import type { RateLimitGate, RetryFailure, RetryPolicy } from "../../http/fetch-retry.ts";
import { oneLine, UpstreamError } from "../../errors.ts";

/** The retry settings a `GhlApi` takes; every one has a default. */
export interface GhlRetrySettings {
  /** Attempts per request, the first included. Default 5. */
  maxAttempts?: number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number;
  /** A longer `Retry-After` than this fails the request instead of stalling the run. Default 60 s. */
  maxRetryAfterMs?: number;
}

/**
 * HighLevel's policy with `settings` applied, pacing attempts through `limiter`. Errors read
 * `HighLevel GET /contacts/ answered 500: Internal error after 5 attempts`.
 */
export function ghlRetryPolicy(settings: GhlRetrySettings, limiter: RateLimitGate): RetryPolicy {
  return {
    maxAttempts: settings.maxAttempts ?? 5,
    retryStatus: (status) => status === 429 || status === 408 || status >= 500,
    timeoutMs: settings.timeoutMs ?? 30_000,
    retryTimeouts: true,
    backoff: { baseMs: 500, capMs: 20_000, jitter: "equal" },
    retryAfter: {
      statuses: (status) => status === 429,
      readMs: false,
      maxMs: settings.maxRetryAfterMs ?? 60_000,
    },
    limiter,
    quotaSpent: (headers) => headers.get("X-RateLimit-Daily-Remaining")?.trim() === "0",
    giveUp,
  };
}

/** `<what> answered <status>: <HighLevel's message>`; reads the answer's body. */
export async function ghlAnswered(what: string, response: Response): Promise<string> {
  return `${what} answered ${response.status}${await errorDetail(response)}`;
}

async function giveUp(failure: RetryFailure, policy: RetryPolicy): Promise<UpstreamError> {
  const { what, response, attempts } = failure;
  if (!response) {
    const cause = failure.timedOut ? `no answer within ${policy.timeoutMs} ms` : networkReason(failure.error);
    return new UpstreamError(`${what} failed after ${attempts} attempts: ${cause}`);
  }
  const status = response.status;
  if (failure.kind === "quota-spent") {
    await response.body?.cancel().catch(() => {});
    return new UpstreamError(
      `${what} answered 429: the daily API limit for this location is used up`,
      status,
    );
  }
  const failed = await ghlAnswered(what, response);
  if (failure.kind === "wait-too-long") {
    return new UpstreamError(
      `${failed}; Retry-After ${Math.ceil(failure.waitMs! / 1000)} s is too long to wait`,
      status,
    );
  }
  return new UpstreamError(`${failed} after ${attempts} attempts`, status);
}

/** A network failure in one line: fetch's message plus the system code it wraps (`ECONNREFUSED`). */
function networkReason(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" ? `${oneLine(error)} (${code})` : oneLine(error);
}

/** `": <message>"` from an error body (HighLevel sends `{ statusCode, message }`), else `""`. */
async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let message: unknown = text;
  try {
    const json = JSON.parse(text);
    if (isRecord(json)) {
      message = Array.isArray(json.message) ? json.message.join(", ") : json.message ?? json.error;
    }
  } catch {
    // Not JSON (a gateway's HTML page, say): the status says enough.
    message = /^\s*</.test(text) ? "" : text;
  }
  const line = typeof message === "string" ? oneLine(message.trim()).slice(0, 200) : "";
  return line === "" ? "" : `: ${line}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
