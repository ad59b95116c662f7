import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "./sliding-window-limiter.ts";

/** A fake clock whose sleep advances time instantly, recording each wait. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

/** True when no `max + 1` start times fall within one window. */
function withinLimit(starts: number[], max: number, windowMs: number): boolean {
  for (let i = max; i < starts.length; i++) if (starts[i] - starts[i - max] < windowMs) return false;
  return true;
}

describe("SlidingWindowLimiter", () => {
  it("lets 100 requests through at once, then holds the 101st until the first leaves the window", async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
    for (let i = 0; i < 100; i++) await limiter.acquire();
    expect(time.sleeps).toEqual([]);
    await limiter.acquire();
    expect(time.sleeps).toEqual([10_000]);
  });

  it("never starts more than 100 requests in any 10 s, however requests are spaced", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 400 }),
        async (gaps) => {
          const time = fakeTime();
          const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
          const starts: number[] = [];
          for (const gap of gaps) {
            time.advance(gap);
            await limiter.acquire();
            starts.push(time.now());
          }
          expect(withinLimit(starts, 100, 10_000)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("never goes above 100 per 10 s even when headers advertise a larger budget", async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
    const generous = new Headers({ "X-RateLimit-Max": "1000", "X-RateLimit-Interval-Milliseconds": "1000" });
    const starts: number[] = [];
    for (let i = 0; i < 250; i++) {
      await limiter.acquire();
      starts.push(time.now());
      limiter.observe(generous);
    }
    expect(withinLimit(starts, 100, 10_000)).toBe(true);
  });

  it("adopts a stricter X-RateLimit-Max from the headers", async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
    limiter.observe(new Headers({ "X-RateLimit-Max": "10", "X-RateLimit-Interval-Milliseconds": "10000" }));
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) {
      await limiter.acquire();
      starts.push(time.now());
    }
    expect(withinLimit(starts, 10, 10_000)).toBe(true);
    expect(time.sleeps.length).toBeGreaterThan(0);
  });

  it("pauses when X-RateLimit-Remaining runs low because other clients spent the budget", async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
    await limiter.acquire();
    time.advance(4_000);
    limiter.observe(new Headers({ "X-RateLimit-Remaining": "1", "X-RateLimit-Max": "100" }));
    await limiter.acquire();
    // Our only request started 4 s ago, so a slot is sure to free 6 s from now.
    expect(time.sleeps).toEqual([6_000]);
  });

  it("does not pause while X-RateLimit-Remaining is comfortable", async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
    await limiter.acquire();
    limiter.observe(new Headers({ "X-RateLimit-Remaining": "57" }));
    await limiter.acquire();
    expect(time.sleeps).toEqual([]);
  });

  it("holds requests for an explicit pause (a 429's Retry-After)", async () => {
    const time = fakeTime();
    const limiter = new SlidingWindowLimiter({ now: time.now, sleep: time.sleep });
    limiter.pause(2_500);
    await limiter.acquire();
    expect(time.sleeps).toEqual([2_500]);
  });
});
