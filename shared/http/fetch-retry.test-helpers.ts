/**
 * Doubles for the fetchWithRetry tests: a scripted fetch, recorded waits, and a generic policy to
 * vary one field at a time.
 */
import type { RetryPolicy } from "./fetch-retry.ts";

type Answer = Response | Error | "hang" | "hang-body";

/** A fetch double answering from a script, one entry per call. */
export function scripted(...answers: Answer[]) {
  const calls: string[] = [];
  const fake = ((url: string | URL, init?: RequestInit) => {
    calls.push(String(url));
    const answer = answers.shift() ?? new Response("ok");
    const signal = init!.signal!;
    if (answer === "hang") {
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    }
    if (answer === "hang-body") {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{"));
          signal.addEventListener("abort", () => controller.error(signal.reason));
        },
      });
      return Promise.resolve(new Response(body));
    }
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }) as typeof fetch;
  return { fake, calls };
}

/** Waits recorded instead of slept, and jitter pinned to `random`. */
export function io(fake: typeof fetch, random = 0.5) {
  const waits: number[] = [];
  return {
    waits,
    fetch: fake,
    random: () => random,
    sleep: (ms: number) => (waits.push(ms), Promise.resolve()),
  };
}

/** A policy like the generic one: 4 attempts, 429 and 5xx retried, Retry-After obeyed up to 60 s. */
export function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: 4,
    retryStatus: (status) => status === 429 || status >= 500,
    timeoutMs: 30_000,
    retryTimeouts: false,
    backoff: { baseMs: 1000, capMs: 60_000, jitter: "equal" },
    retryAfter: { statuses: () => true, readMs: true, maxMs: 60_000 },
    ...overrides,
  };
}

export const status = (code: number, headers: Record<string, string> = {}) =>
  new Response("", { status: code, headers });
