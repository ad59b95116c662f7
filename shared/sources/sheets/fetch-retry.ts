/**
 * One request with the retry policy Google documents for its quotas: 429 and 5xx are retried
 * with exponential backoff, a `Retry-After` is honoured, and anything else is the caller's to read.
 */

import { backoffDelay, retryAfterMs } from "../../http/retry-delay.ts";
import { oneLine, UpstreamError } from "../../errors.ts";

/** Retry and timeout settings shared by the CSV download and the Sheets API calls. */
export interface RetryOptions {
  /** The fetch to use (tests pass a double; default: global `fetch`). */
  fetch?: typeof fetch;
  /** Aborts the whole operation, waits included; its reason is rethrown unchanged. */
  signal?: AbortSignal;
  /** Longest wait for the response headers of one attempt (default 30 s). Not retried. */
  timeoutMs?: number;
  /** Attempts in all, the first included (default 4). */
  maxAttempts?: number;
  /** Waits between attempts (tests pass a recorder). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First backoff (default 1 s); each next one doubles, with jitter. */
  baseDelayMs?: number;
  /** Longest wait between attempts (default 60 s); a longer `Retry-After` ends the retries. */
  maxDelayMs?: number;
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `1.5 s` or `200 ms`, for one-line reasons. */
export function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Fetches `url`, retrying 429, 5xx and network failures. Resolves with the first response that is
 * not retryable (any 2xx–4xx but 429), whose body the caller reads. Throws `UpstreamError` with
 * one line naming `what` when retries run out, a `Retry-After` is longer than `maxDelayMs`, or an
 * attempt times out.
 *
 * @example
 * const response = await fetchWithRetry("the Sheets API", url, { headers }, { maxAttempts: 3 });
 */
export async function fetchWithRetry(
  what: string,
  url: string | URL,
  init: RequestInit,
  opts: RetryOptions = {},
): Promise<Response> {
  const doFetch = opts.fetch ?? fetch;
  const wait = opts.sleep ?? sleep;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const baseDelay = opts.baseDelayMs ?? 1000;
  const maxDelay = opts.maxDelayMs ?? 60_000;

  for (let attempt = 1;; attempt++) {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException("timed out", "TimeoutError"));
    }, timeoutMs);
    const onAbort = () => controller.abort(opts.signal!.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    let response: Response | null = null;
    let failure: string;
    try {
      response = await doFetch(url, { ...init, signal: controller.signal });
      failure = `answered ${response.status}`;
    } catch (error) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (timedOut) throw new UpstreamError(`${what} did not answer within ${duration(timeoutMs)}`);
      failure = `could not be reached (${oneLine(error)})`;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }

    if (response && !retryable(response.status)) return response;
    // Free the connection before waiting; the body of a 429 or 503 is not needed.
    await response?.body?.cancel().catch(() => {});
    if (attempt >= maxAttempts) {
      throw new UpstreamError(`${what} ${failure} after ${attempt} attempts`, response?.status);
    }
    const asked = response ? retryAfterMs(response.headers, Date.now()) : null;
    if (asked !== null && asked > maxDelay) {
      throw new UpstreamError(
        `${what} ${failure} and asks to wait ${Math.ceil(asked / 1000)} s; try again later`,
        response?.status,
      );
    }
    // Half fixed, half random, so parallel pulls hitting one quota do not retry in lockstep.
    await wait(asked ?? backoffDelay(attempt, Math.random, baseDelay, maxDelay), opts.signal);
  }
}
