/**
 * One request, retried as a provider's `RetryPolicy` says: which statuses a retry may fix, whether
 * the server's `Retry-After` is obeyed and up to how long, exponential backoff with jitter between
 * attempts, a per-attempt timeout, and an optional rate limiter that paces every attempt. Each
 * source keeps its policy beside its client; this file names none of them.
 */

import { oneLine, UpstreamError } from "../errors.ts";
import { backoffDelay, parseRetryAfter, retryAfterMs } from "./retry-delay.ts";

/** Paces requests that share a budget, such as a per-location sliding window. */
export interface RateLimitGate {
  /** Resolves once one more request fits. */
  acquire(): Promise<void>;
  /** Reads the budget an answer's rate-limit headers report. */
  observe(headers: Headers): void;
  /** Holds every request through the gate for `ms`. */
  pause(ms: number): void;
}

/** Why a call ends without an answer to return, for the policy to word as an error. */
export interface RetryFailure {
  /**
   * `exhausted`: the last attempt failed too. `wait-too-long`: the server asked for a longer wait
   * than the policy accepts. `quota-spent`: a 429 whose headers say no retry helps today.
   * `timed-out`: an attempt got no answer in time and the policy does not retry that.
   */
  kind: "exhausted" | "wait-too-long" | "quota-spent" | "timed-out";
  /** The caller's name for the request, e.g. `GET /payments`. */
  what: string;
  /** Attempts made, this one included. */
  attempts: number;
  /** The last answer, its body unread, when the server answered. */
  response?: Response;
  /** The network error, when there was no answer (or, with `bufferBody`, no whole body). */
  error?: unknown;
  /** Whether that error is the attempt's timeout. */
  timedOut: boolean;
  /** The wait the server asked for (`wait-too-long`), in ms. */
  waitMs?: number;
}

/** How one provider wants its requests retried. Durations are in milliseconds. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Whether another attempt may fix an answer with this status. */
  retryStatus(status: number): boolean;
  /** Longest wait for one attempt: the headers, and the body too with `bufferBody`. */
  timeoutMs: number;
  /** Retry an attempt that timed out like a network error (else the call fails at once). */
  retryTimeouts: boolean;
  /** Backoff when the server names no wait: the ceiling starts at `baseMs` and doubles up to `capMs`. */
  backoff: {
    baseMs: number;
    capMs: number;
    /** `equal`: half the ceiling plus a random share of the rest; `full`: a random share of it all. */
    jitter: "equal" | "full";
  };
  /** Added to the backoff of a 429 that names no wait (a provider's known cool-down). */
  rateLimitCooldownMs?: number;
  retryAfter: {
    /** Whose answers' `Retry-After` is obeyed; other retried answers back off. */
    statuses(status: number): boolean;
    /** Read `retry-after-ms` (milliseconds) before `Retry-After`. */
    readMs: boolean;
    /** A longer requested wait ends the call instead of stalling it. */
    maxMs: number;
  };
  /** Read the whole body inside the attempt, so a connection that breaks mid-body is retried. */
  bufferBody?: boolean;
  /** Acquired before every attempt, shown every answer's headers; a 429's wait pauses it. */
  limiter?: RateLimitGate;
  /** Whether a 429's headers say the quota is spent, so waiting a few seconds cannot help. */
  quotaSpent?(headers: Headers): boolean;
  /** The error to throw (default: an `UpstreamError` in the wording of `defaultGiveUp`). */
  giveUp?(failure: RetryFailure, policy: RetryPolicy): Error | Promise<Error>;
}

/** What the call runs on; tests pass doubles. */
export interface RetryIO {
  /** Aborts the whole call, waits included; its reason is rethrown unchanged. */
  signal?: AbortSignal;
  /** Default: global `fetch`. */
  fetch?: typeof fetch;
  /** Waits between attempts; rejects with the signal's reason when it aborts (default `sleep`). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1), for jitter. */
  random?: () => number;
  /** Milliseconds since the epoch, for `Retry-After` dates. */
  now?: () => number;
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

/**
 * Fetches `url` until an answer the policy does not retry, and resolves with it (its body unread,
 * or buffered with `bufferBody`); the caller reads any 2xx–4xx it gets. `io.signal` aborts the
 * whole call, waits included, and its reason is rethrown unchanged (`init.signal` is not read).
 * Otherwise throws the policy's `giveUp` error when retries run out, a requested wait is too long,
 * a 429 says the quota is spent, or an attempt times out that the policy does not retry.
 *
 * @example
 * const response = await fetchWithRetry("the Sheets API", url, { headers }, googleRetryPolicy());
 */
export async function fetchWithRetry(
  what: string,
  url: string | URL,
  init: RequestInit,
  policy: RetryPolicy,
  io: RetryIO = {},
): Promise<Response> {
  const maxAttempts = Math.max(1, policy.maxAttempts);
  const giveUp = async (failure: Omit<RetryFailure, "what">): Promise<never> => {
    throw await (policy.giveUp ?? defaultGiveUp)({ what, ...failure }, policy);
  };

  for (let attempt = 1;; attempt++) {
    await policy.limiter?.acquire();
    const { response, error, timedOut } = await attemptOnce(url, init, policy, io);
    if (response) policy.limiter?.observe(response.headers);
    if (response && error === undefined && !policy.retryStatus(response.status)) return response;

    const failed = { attempts: attempt, response, error, timedOut };
    if (timedOut && !policy.retryTimeouts) return giveUp({ kind: "timed-out", ...failed });
    const status = response?.status;
    if (status === 429 && error === undefined && policy.quotaSpent?.(response!.headers)) {
      return giveUp({ kind: "quota-spent", ...failed });
    }
    if (attempt >= maxAttempts) return giveUp({ kind: "exhausted", ...failed });
    const asked = response && error === undefined ? askedWait(response, policy, io) : null;
    if (asked !== null && asked > policy.retryAfter.maxMs) {
      return giveUp({ kind: "wait-too-long", ...failed, waitMs: asked });
    }

    // Free the connection before waiting; the body of a 429 or 503 is not needed.
    await response?.body?.cancel().catch(() => {});
    const { baseMs, capMs, jitter } = policy.backoff;
    const cooldown = status === 429 ? policy.rateLimitCooldownMs ?? 0 : 0;
    const wait = asked ?? backoffDelay(attempt, io.random, baseMs, capMs, jitter) + cooldown;
    // A shared limiter holds every request that spends the same budget, not just this one.
    if (status === 429 && policy.limiter) policy.limiter.pause(wait);
    else await (io.sleep ?? sleep)(wait, io.signal);
  }
}

/**
 * The generic wording: `<what> answered 503 after 4 attempts`, `<what> could not be reached (…)`,
 * `<what> answered 429 and asks to wait 600 s; try again later`, `<what> did not answer within
 * 30 s`. Discards the body of the last answer.
 */
export async function defaultGiveUp(failure: RetryFailure, policy: RetryPolicy): Promise<Error> {
  const { what, response, error } = failure;
  await response?.body?.cancel().catch(() => {});
  const status = response?.status;
  const reason = error === undefined ? `answered ${status}` : `could not be reached (${oneLine(error)})`;
  switch (failure.kind) {
    case "timed-out":
      return new UpstreamError(`${what} did not answer within ${duration(policy.timeoutMs)}`);
    case "wait-too-long":
      return new UpstreamError(
        `${what} ${reason} and asks to wait ${Math.ceil(failure.waitMs! / 1000)} s; try again later`,
        status,
      );
    case "quota-spent":
      return new UpstreamError(`${what} ${reason} and its quota is used up; try again later`, status);
    case "exhausted":
      return new UpstreamError(`${what} ${reason} after ${failure.attempts} attempts`, status);
  }
}

interface Attempt {
  response?: Response;
  error?: unknown;
  timedOut: boolean;
}

/** One attempt under the policy's timeout, linked to the caller's signal. */
async function attemptOnce(
  url: string | URL,
  init: RequestInit,
  policy: RetryPolicy,
  io: RetryIO,
): Promise<Attempt> {
  const caller = io.signal;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("timed out", "TimeoutError"));
  }, policy.timeoutMs);
  const onAbort = () => controller.abort(caller!.reason);
  caller?.addEventListener("abort", onAbort, { once: true });
  if (caller?.aborted) onAbort();

  let response: Response | undefined;
  try {
    response = await (io.fetch ?? fetch)(url, { ...init, signal: controller.signal });
    if (policy.bufferBody) response = await buffered(response);
    return { response, timedOut: false };
  } catch (error) {
    if (caller?.aborted) throw caller.reason;
    return { response, error, timedOut };
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener("abort", onAbort);
  }
}

/** The same answer with its body read into memory (a copy has no `url`). */
async function buffered(response: Response): Promise<Response> {
  const body = await response.arrayBuffer();
  const empty = [204, 205, 304].includes(response.status);
  return new Response(empty ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The wait the answer asks for, when the policy obeys it for this status. */
function askedWait(response: Response, policy: RetryPolicy, io: RetryIO): number | null {
  if (!policy.retryAfter.statuses(response.status)) return null;
  const now = (io.now ?? Date.now)();
  return policy.retryAfter.readMs
    ? retryAfterMs(response.headers, now)
    : parseRetryAfter(response.headers.get("retry-after"), now);
}
