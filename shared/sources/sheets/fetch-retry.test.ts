import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../errors.ts";
import { fetchWithRetry } from "./fetch-retry.ts";

/** A fetch double answering from a script, one entry per call. */
function scripted(...answers: (Response | Error | "hang")[]) {
  const calls: string[] = [];
  const fake = ((url: string | URL, init?: RequestInit) => {
    calls.push(String(url));
    const answer = answers.shift() ?? new Response("ok");
    if (answer === "hang") {
      return new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))
      );
    }
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }) as typeof fetch;
  return { fake, calls };
}

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
}

describe("fetchWithRetry", () => {
  it("waits as long as Retry-After asks after a 429, then returns the answer", async () => {
    const { fake, calls } = scripted(
      new Response("slow down", { status: 429, headers: { "retry-after": "2" } }),
      new Response("fine"),
    );
    const { waits, sleep } = recorder();
    const response = await fetchWithRetry("the sheet", "http://x/a", {}, { fetch: fake, sleep });
    expect(await response.text()).toBe("fine");
    expect(waits).toEqual([2000]);
    expect(calls).toHaveLength(2);
  });

  it("backs off exponentially on 5xx and gives up with one line after the last attempt", async () => {
    const { fake, calls } = scripted(...Array.from({ length: 4 }, () => new Response("", { status: 503 })));
    const { waits, sleep } = recorder();
    const error = await fetchWithRetry("the sheet", "http://x/a", {}, {
      fetch: fake,
      sleep,
      baseDelayMs: 1000,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the sheet answered 503 after 4 attempts");
    expect(error.status).toBe(503);
    expect(calls).toHaveLength(4);
    expect(waits).toHaveLength(3);
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(1000 * 2 ** i);
    });
  });

  it("retries a network failure", async () => {
    const { fake } = scripted(new TypeError("connection reset"), new Response("ok"));
    const response = await fetchWithRetry("the sheet", "http://x/a", {}, {
      fetch: fake,
      sleep: recorder().sleep,
    });
    expect(response.status).toBe(200);
  });

  it("returns a 4xx other than 429 at once, for the caller to explain", async () => {
    const { fake, calls } = scripted(new Response("", { status: 404 }));
    const response = await fetchWithRetry("the sheet", "http://x/a", {}, { fetch: fake });
    expect(response.status).toBe(404);
    expect(calls).toHaveLength(1);
  });

  it("stops at once when Retry-After asks for longer than it is willing to wait", async () => {
    const { fake } = scripted(new Response("", { status: 429, headers: { "retry-after": "600" } }));
    const error = await fetchWithRetry("the Sheets API", "http://x/a", {}, {
      fetch: fake,
      maxDelayMs: 60_000,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain("asks to wait 600 s");
  });

  it("fails with one line when an attempt times out", async () => {
    const { fake } = scripted("hang");
    const error = await fetchWithRetry("the sheet", "http://x/a", {}, { fetch: fake, timeoutMs: 20 }).catch((
      e,
    ) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the sheet did not answer within 20 ms");
  });

  it("rethrows the caller's abort reason unchanged", async () => {
    const { fake } = scripted("hang");
    const controller = new AbortController();
    const reason = new Error("shutting down");
    setTimeout(() => controller.abort(reason), 10);
    await expect(fetchWithRetry("the sheet", "http://x/a", {}, { fetch: fake, signal: controller.signal }))
      .rejects.toBe(reason);
  });
});
