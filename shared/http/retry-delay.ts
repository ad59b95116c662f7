/**
 * How long to wait before retrying an upstream request: the server's `Retry-After` when it sends
 * one, else exponential backoff with jitter, so parallel clients that failed together do not
 * retry together.
 */

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or `null` when
 * the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === "") return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * Backoff before retry number `attempt` (1 for the first retry), under the ceiling
 * `min(capMs, baseMs * 2^(attempt-1))`. With `equal` jitter (the default) it is half the ceiling
 * plus a random share of the other half, so the wait grows and never collapses to zero; with
 * `full` jitter it is a random share of the whole ceiling, which spreads clients furthest apart
 * but may retry at once.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  capMs = 20_000,
  jitter: "equal" | "full" = "equal",
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  if (jitter === "full") return Math.floor(random() * ceiling);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Milliseconds the response's headers ask for: `retry-after-ms` (which Whop's SDK reads) first,
 * then `Retry-After`; `null` when neither is there or readable.
 */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  return parseRetryAfter(headers.get("retry-after"), nowMs);
}
