/**
 * The retry policy Google documents for its quotas, used for the token endpoint, the Sheets API
 * and CSV downloads: 429 and 5xx are retried with exponential backoff, a `Retry-After` is honoured,
 * and a timeout fails the call at once (a pull is tried again at its next schedule).
 */

import { fetchWithRetry, type RetryIO, type RetryPolicy } from "../../http/fetch-retry.ts";

/** Retry and timeout settings shared by the CSV download and the Sheets API calls. */
export interface GoogleRetryOptions extends Pick<RetryIO, "fetch" | "sleep" | "signal"> {
  /** Longest wait for the response headers of one attempt (default 30 s). Not retried. */
  timeoutMs?: number;
  /** Attempts in all, the first included (default 4). */
  maxAttempts?: number;
  /** First backoff (default 1 s); each next one doubles, with jitter. */
  baseDelayMs?: number;
  /** Longest wait between attempts (default 60 s); a longer `Retry-After` ends the retries. */
  maxDelayMs?: number;
}

/**
 * Google's policy with `options` applied: 4 attempts, 429 and 5xx retried, `retry-after-ms` or
 * `Retry-After` obeyed up to 60 s, else equal-jitter backoff from 1 s capped at 60 s; a 30 s
 * timeout that is not retried. Errors use `defaultGiveUp`'s wording.
 */
export function googleRetryPolicy(options: GoogleRetryOptions = {}): RetryPolicy {
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  return {
    maxAttempts: options.maxAttempts ?? 4,
    retryStatus: (status) => status === 429 || status >= 500,
    timeoutMs: options.timeoutMs ?? 30_000,
    retryTimeouts: false,
    backoff: { baseMs: options.baseDelayMs ?? 1000, capMs: maxDelayMs, jitter: "equal" },
    retryAfter: { statuses: () => true, readMs: true, maxMs: maxDelayMs },
  };
}

/**
 * `fetchWithRetry` under `googleRetryPolicy(options)`, with `options`' fetch, sleep and signal.
 *
 * @example
 * const response = await fetchWithGoogleRetry("the Sheets API", url, { headers }, { maxAttempts: 3 });
 */
export function fetchWithGoogleRetry(
  what: string,
  url: string | URL,
  init: RequestInit,
  options: GoogleRetryOptions = {},
): Promise<Response> {
  return fetchWithRetry(what, url, init, googleRetryPolicy(options), options);
}
