/**
 * Keeps calls to HighLevel under its burst limit: 100 requests per 10 s per app and location
 * (sources.md 3.5). We count our own requests in a sliding window, and also listen to HighLevel's
 * `X-RateLimit-*` headers, which count requests other clients of the same location made too.
 */

/** Options of a `SlidingWindowLimiter`. */
export interface SlidingWindowLimiterOptions {
  /** Most requests in any window; headers can lower it, never raise it. Default 100. */
  max?: number;
  /** Window length in ms; headers can lengthen it, never shorten it. Default 10 000. */
  windowMs?: number;
  /** Pause once `X-RateLimit-Remaining` falls to this many. Default 2. */
  reserve?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Waits `ms` milliseconds; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A sliding-window rate limiter: `acquire()` before each request, `observe(headers)` after it.
 *
 * @example
 *   const limiter = new SlidingWindowLimiter();
 *   await limiter.acquire();
 *   const response = await fetch(url);
 *   limiter.observe(response.headers);
 */
export class SlidingWindowLimiter {
  readonly #capMax: number;
  readonly #capWindowMs: number;
  readonly #reserve: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #max: number;
  #windowMs: number;
  /** Start times of our requests still inside the window, oldest first. */
  #starts: number[] = [];
  #pausedUntil = 0;

  constructor(options: SlidingWindowLimiterOptions = {}) {
    this.#capMax = this.#max = options.max ?? 100;
    this.#capWindowMs = this.#windowMs = options.windowMs ?? 10_000;
    this.#reserve = options.reserve ?? 2;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits until one more request fits, then counts it as started now. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.#now();
      while (this.#starts.length > 0 && this.#starts[0] <= now - this.#windowMs) this.#starts.shift();
      let wait = this.#pausedUntil - now;
      if (wait <= 0 && this.#starts.length >= this.#max) {
        wait = this.#starts[this.#starts.length - this.#max] + this.#windowMs - now;
      }
      if (wait <= 0) {
        this.#starts.push(now);
        return;
      }
      await this.#sleep(wait);
    }
  }

  /**
   * Reads HighLevel's rate-limit headers. A lower `X-RateLimit-Max` or a longer
   * `X-RateLimit-Interval-Milliseconds` tightens the window; a low `X-RateLimit-Remaining` pauses
   * until the oldest request we know of leaves the window (a full window when we know of none,
   * because then other clients spent the budget).
   */
  observe(headers: Headers): void {
    const max = intHeader(headers, "X-RateLimit-Max");
    const interval = intHeader(headers, "X-RateLimit-Interval-Milliseconds");
    const remaining = intHeader(headers, "X-RateLimit-Remaining");
    if (max !== null && max > 0) this.#max = Math.min(this.#capMax, max);
    if (interval !== null && interval > 0) this.#windowMs = Math.max(this.#capWindowMs, interval);
    if (remaining !== null && remaining <= this.#reserve) {
      const now = this.#now();
      const oldest = this.#starts.find((start) => start > now - this.#windowMs) ?? now;
      this.pause(oldest + this.#windowMs - now);
    }
  }

  /** Holds every `acquire()` for at least `ms` from now (after a 429, say). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
  }
}

function intHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || !/^\s*\d+\s*$/.test(value)) return null;
  return Number(value);
}
