/**
 * How calls to Whop's REST API are retried (sources.md 2.4): 408, 429, 5xx and network errors
 * (timeouts included) are retried with full-jitter backoff; a 429 that names no wait first cools
 * down for the legacy API's 60 s, since v1's limits are unpublished; a named wait is obeyed up to a
 * limit. The body is read inside the attempt, so a connection that breaks mid-body is retried too.
 */

import type { RetryFailure, RetryPolicy } from "../../http/fetch-retry.ts";
import { oneLine, UpstreamError } from "../../errors.ts";

/** The retry settings a `WhopApi` takes; every one has a default. */
export interface WhopRetrySettings {
  /** Attempts per call, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff ceiling; it doubles per attempt up to `maxDelayMs` (defaults 1 s, 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The wait before retrying a 429 that names no delay (default 60 s, plus jitter): the legacy API
   * cools down for 60 s and v1's limits are unpublished (sources.md 2.4).
   */
  rateLimitDelayMs?: number;
  /** A server-requested wait above this fails the call instead of sleeping (default 120 s). */
  maxRetryAfterMs?: number;
  /** Per-attempt timeout, body included (default 30 s). */
  timeoutMs?: number;
}

/**
 * Whop's policy with `settings` applied. Errors read `GET /payments answered 503: maintenance
 * (gave up after 5 attempts)`.
 */
export function whopRetryPolicy(settings: WhopRetrySettings = {}): RetryPolicy {
  return {
    maxAttempts: settings.maxAttempts ?? 5,
    retryStatus: (status) => status === 429 || status === 408 || status >= 500,
    timeoutMs: settings.timeoutMs ?? 30_000,
    retryTimeouts: true,
    backoff: { baseMs: settings.baseDelayMs ?? 1_000, capMs: settings.maxDelayMs ?? 30_000, jitter: "full" },
    rateLimitCooldownMs: settings.rateLimitDelayMs ?? 60_000,
    retryAfter: { statuses: () => true, readMs: true, maxMs: settings.maxRetryAfterMs ?? 120_000 },
    bufferBody: true,
    giveUp,
  };
}

/** `<what> answered <status>: <Whop's message>`, the message only when the body is Whop's JSON error. */
export function whopAnswered(what: string, status: number, text: string): string {
  return `${what} answered ${status}${describe(text)}`;
}

async function giveUp(failure: RetryFailure, policy: RetryPolicy): Promise<UpstreamError> {
  const { what, response, error } = failure;
  const reason = error !== undefined
    ? `${what} ${response ? "failed reading the body" : "failed"}: ${networkReason(error)}`
    : whopAnswered(what, response!.status, await response!.text());
  if (failure.kind === "wait-too-long") {
    const limit = policy.retryAfter.maxMs;
    return new UpstreamError(
      `${reason}; Whop asks to wait ${Math.ceil(failure.waitMs! / 1000)} s, over the ${limit / 1000} s limit`,
      429,
    );
  }
  return new UpstreamError(`${reason} (gave up after ${failure.attempts} attempts)`, response?.status);
}

/** `: <message>` from a JSON error body (Whop's `{ message }` or `{ error: { message } }`), else "". */
function describe(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } | string };
    const message = typeof body.error === "object" ? body.error?.message : body.error ?? body.message;
    return typeof message === "string" && message !== "" ? `: ${oneLine(message).slice(0, 200)}` : "";
  } catch {
    return ""; // An HTML error page says nothing a log line needs.
  }
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return "timed out";
  }
  const cause = error instanceof Error ? (error as Error & { cause?: { code?: unknown } }).cause : undefined;
  const code = cause && typeof cause.code === "string" ? ` (${cause.code})` : "";
  return `${oneLine(error)}${code}`;
}
