import { describe, expect, it } from "vitest";
import { UpstreamError } from "../errors.ts";
import { duration, fetchWithRetry, type RateLimitGate, type RetryFailure, sleep } from "./fetch-retry.ts";
import { io, policy, scripted, status } from "./fetch-retry.test-helpers.ts";

describe("fetchWithRetry", () => {
  it("waits as long as Retry-After asks after a 429, then returns the answer", async () => {
    const { fake, calls } = scripted(status(429, { "retry-after": "2" }), new Response("fine"));
    const run = io(fake);
    const response = await fetchWithRetry("the sheet", "http://x/a", {}, policy(), run);
    expect(await response.text()).toBe("fine");
    expect(run.waits).toEqual([2000]);
    expect(calls).toHaveLength(2);
  });

  it("backs off exponentially on 5xx and gives up with one line after the last attempt", async () => {
    const { fake, calls } = scripted(...Array.from({ length: 4 }, () => status(503)));
    const run = { ...io(fake), random: Math.random };
    const error = await fetchWithRetry("the sheet", "http://x/a", {}, policy(), run).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the sheet answered 503 after 4 attempts");
    expect(error.status).toBe(503);
    expect(calls).toHaveLength(4);
    expect(run.waits).toHaveLength(3);
    run.waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(1000 * 2 ** i);
    });
  });

  it("retries a network failure, and names it once attempts run out", async () => {
    const { fake } = scripted(new TypeError("connection reset"), new Response("ok"));
    expect((await fetchWithRetry("the sheet", "http://x/a", {}, policy(), io(fake))).status).toBe(200);

    const down = scripted(new TypeError("connection reset"), new TypeError("connection reset"));
    const error = await fetchWithRetry(
      "the sheet",
      "http://x/a",
      {},
      policy({ maxAttempts: 2 }),
      io(down.fake),
    )
      .catch((e) => e);
    expect(error.message).toBe("the sheet could not be reached (connection reset) after 2 attempts");
    expect(error.status).toBeUndefined();
  });

  it("returns a 4xx other than 429 at once, for the caller to explain", async () => {
    const { fake, calls } = scripted(status(404));
    const response = await fetchWithRetry("the sheet", "http://x/a", {}, policy(), { fetch: fake });
    expect(response.status).toBe(404);
    expect(calls).toHaveLength(1);
  });

  it("stops at once when Retry-After asks for longer than it is willing to wait", async () => {
    const { fake } = scripted(status(429, { "retry-after": "600" }));
    const run = io(fake);
    const error = await fetchWithRetry("the Sheets API", "http://x/a", {}, policy(), run).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the Sheets API answered 429 and asks to wait 600 s; try again later");
    expect(error.status).toBe(429);
    expect(run.waits).toEqual([]);
  });

  it("fails with one line when an attempt times out and the policy does not retry timeouts", async () => {
    const { fake, calls } = scripted("hang");
    const error = await fetchWithRetry("the sheet", "http://x/a", {}, policy({ timeoutMs: 20 }), {
      fetch: fake,
    })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the sheet did not answer within 20 ms");
    expect(calls).toHaveLength(1);
  });

  it("rethrows the caller's abort reason unchanged", async () => {
    const { fake } = scripted("hang");
    const controller = new AbortController();
    const reason = new Error("shutting down");
    setTimeout(() => controller.abort(reason), 10);
    await expect(
      fetchWithRetry("the sheet", "http://x/a", {}, policy(), { fetch: fake, signal: controller.signal }),
    )
      .rejects.toBe(reason);
  });
});

describe("fetchWithRetry under different policies", () => {
  it("returns a 500 at once to a policy that does not retry it", async () => {
    const { fake, calls } = scripted(status(500));
    const only429 = policy({ retryStatus: (code) => code === 429 });
    expect((await fetchWithRetry("x", "http://x/a", {}, only429, io(fake))).status).toBe(500);
    expect(calls).toHaveLength(1);
  });

  it("retries 408 only for a policy that lists it", async () => {
    const { fake, calls } = scripted(status(408), new Response("ok"));
    const with408 = policy({ retryStatus: (code) => code === 408 || code >= 500 });
    expect((await fetchWithRetry("x", "http://x/a", {}, with408, io(fake))).status).toBe(200);
    expect(calls).toHaveLength(2);
    expect((await fetchWithRetry("x", "http://x/a", {}, policy(), io(scripted(status(408)).fake))).status)
      .toBe(408);
  });

  it("honours Retry-After as an HTTP date, measured on the injected clock", async () => {
    const at = Date.UTC(2026, 6, 22, 14, 0, 5);
    const { fake } = scripted(status(503, { "retry-after": new Date(at).toUTCString() }), new Response("ok"));
    const run = { ...io(fake), now: () => at - 7000 };
    await fetchWithRetry("x", "http://x/a", {}, policy(), run);
    expect(run.waits).toEqual([7000]);
  });

  it("prefers retry-after-ms only when the policy reads it", async () => {
    const headers = { "retry-after-ms": "250", "retry-after": "3" };
    const withMs = io(scripted(status(429, headers)).fake);
    await fetchWithRetry("x", "http://x/a", {}, policy(), withMs);
    const withoutMs = io(scripted(status(429, headers)).fake);
    await fetchWithRetry(
      "x",
      "http://x/a",
      {},
      policy({ retryAfter: { ...policy().retryAfter, readMs: false } }),
      withoutMs,
    );
    expect([withMs.waits, withoutMs.waits]).toEqual([[250], [3000]]);
  });

  it("backs off instead of obeying Retry-After on statuses the policy does not trust it for", async () => {
    const { fake } = scripted(status(503, { "retry-after": "600" }), new Response("ok"));
    const run = io(fake, 0);
    const on429 = policy({ retryAfter: { statuses: (code) => code === 429, readMs: false, maxMs: 60_000 } });
    expect((await fetchWithRetry("x", "http://x/a", {}, on429, run)).status).toBe(200);
    expect(run.waits).toEqual([500]);
  });

  it("draws full jitter from the whole ceiling, and adds a cool-down to a 429 that names no wait", async () => {
    const { fake } = scripted(status(503), status(503), status(429), new Response("ok"));
    const run = io(fake, 0.99);
    const whopLike = policy({
      maxAttempts: 5,
      backoff: { baseMs: 100, capMs: 30_000, jitter: "full" },
      rateLimitCooldownMs: 60_000,
    });
    await fetchWithRetry("x", "http://x/a", {}, whopLike, run);
    expect(run.waits).toEqual([99, 198, 60_000 + 396]);
  });

  it("retries a timeout like a network error when the policy says so", async () => {
    const { fake, calls } = scripted("hang", "hang");
    const failures: RetryFailure[] = [];
    const retrying = policy({
      timeoutMs: 20,
      retryTimeouts: true,
      maxAttempts: 2,
      giveUp: (failure) => (failures.push(failure), new UpstreamError("gave up")),
    });
    await expect(fetchWithRetry("x", "http://x/a", {}, retrying, io(fake))).rejects.toThrow("gave up");
    expect(calls).toHaveLength(2);
    expect(failures).toMatchObject([{ kind: "exhausted", what: "x", attempts: 2, timedOut: true }]);
    expect((failures[0].error as Error).name).toBe("TimeoutError");
  });

  it("buffers the body for a policy that asks, retrying a body cut short and bounding it by the timeout", async () => {
    const broken = new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{"));
          controller.error(new TypeError("terminated"));
        },
      }),
      { status: 200 },
    );
    const { fake, calls } = scripted(broken, "hang-body", new Response('{"ok":true}', { status: 201 }));
    const buffering = policy({ bufferBody: true, retryTimeouts: true, timeoutMs: 50 });
    const response = await fetchWithRetry("x", "http://x/a", {}, buffering, io(fake));
    expect(await response.json()).toEqual({ ok: true });
    expect(response.status).toBe(201);
    expect(calls).toHaveLength(3);

    const cut = scripted(
      new Response(new ReadableStream({ start: (c) => c.error(new TypeError("terminated")) })),
    );
    let failure: RetryFailure | undefined;
    const once = {
      ...buffering,
      maxAttempts: 1,
      giveUp: (f: RetryFailure) => ((failure = f), new Error("no")),
    };
    await fetchWithRetry("x", "http://x/a", {}, once, io(cut.fake)).catch(() => {});
    expect(failure?.response?.status).toBe(200);
    expect(failure?.error).toBeInstanceOf(TypeError);
  });

  it("paces attempts through a limiter, shows it every answer, and pauses it for a 429", async () => {
    const log: string[] = [];
    const limiter: RateLimitGate = {
      acquire: () => (log.push("acquire"), Promise.resolve()),
      observe: (headers) => log.push(`observe ${headers.get("x-ratelimit-remaining")}`),
      pause: (ms) => log.push(`pause ${ms}`),
    };
    const { fake } = scripted(
      status(429, { "retry-after": "3", "x-ratelimit-remaining": "0" }),
      status(502),
      new Response("ok", { headers: { "x-ratelimit-remaining": "97" } }),
    );
    const run = io(fake, 0);
    await fetchWithRetry("x", "http://x/a", {}, policy({ limiter }), run);
    expect(log).toEqual([
      "acquire",
      "observe 0",
      "pause 3000",
      "acquire",
      "observe null",
      "acquire",
      "observe 97",
    ]);
    // The 5xx still sleeps: only a 429 says the shared budget is spent.
    expect(run.waits).toEqual([1000]);
  });

  it("stops at once on a 429 whose headers say the quota is spent", async () => {
    const { fake, calls } = scripted(status(429, { "x-daily-remaining": "0" }));
    const run = io(fake);
    const spent = policy({ quotaSpent: (headers) => headers.get("x-daily-remaining") === "0" });
    const error = await fetchWithRetry("the API", "http://x/a", {}, spent, run).catch((e) => e);
    expect(error.message).toBe("the API answered 429 and its quota is used up; try again later");
    expect(calls).toHaveLength(1);
    expect(run.waits).toEqual([]);
  });

  it("words the last failure with the policy's giveUp, handing it the unread answer", async () => {
    const { fake } = scripted(new Response('{"message":"maintenance"}', { status: 503 }));
    const worded = policy({
      maxAttempts: 1,
      giveUp: async ({ what, response, attempts }) =>
        new UpstreamError(`${what}: ${(await response!.json()).message} (${attempts})`, 418),
    });
    const error = await fetchWithRetry("GET /x", "http://x/a", {}, worded, io(fake)).catch((e) => e);
    expect(error).toMatchObject({ message: "GET /x: maintenance (1)", status: 418 });
  });
});

describe("sleep and duration", () => {
  it("rejects a wait with the signal's reason when it aborts", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const waiting = sleep(10_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it("reads milliseconds under a second and tenths of seconds above", () => {
    expect([duration(20), duration(999), duration(1000), duration(1540)]).toEqual([
      "20 ms",
      "999 ms",
      "1 s",
      "1.5 s",
    ]);
  });
});
