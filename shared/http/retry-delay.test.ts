import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, retryAfterMs } from "./retry-delay.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-28T15:00:00Z");

  it("reads delta-seconds as milliseconds", () => {
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0.5 ", now)).toBe(500);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Tue, 28 Jan 2025 15:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Tue, 28 Jan 2025 14:00:00 GMT", now)).toBe(0);
  });

  it("gives null for an absent or unreadable header", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});

describe("backoffDelay", () => {
  it("doubles the ceiling per attempt up to the cap", () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, top))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(30, top)).toBe(20_000);
  });

  it("stays between half the ceiling and the ceiling, whatever the jitter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const ceiling = Math.min(20_000, 500 * 2 ** (attempt - 1));
          const delay = backoffDelay(attempt, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });
});

describe("backoffDelay with full jitter", () => {
  it("draws from zero up to the doubling ceiling, capped", () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, () => 0.99, 100, 30_000, "full"))).toEqual([99, 198, 396]);
    expect(backoffDelay(30, () => 0.5, 100, 30_000, "full")).toBe(15_000);
    expect(backoffDelay(4, () => 0, 100, 30_000, "full")).toBe(0);
  });
});

describe("retryAfterMs", () => {
  it("ignores values that are neither seconds nor a date, and clamps past dates to zero", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeNull();
    expect(retryAfterMs(new Headers({ "retry-after-ms": "-5" }), now)).toBeNull();
    expect(retryAfterMs(new Headers({ "retry-after": new Date(now - 10_000).toUTCString() }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after": "1.5" }), now)).toBe(1500);
    expect(retryAfterMs(new Headers(), now)).toBeNull();
  });
});
