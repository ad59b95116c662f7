/**
 * The client against a real local HTTP server that behaves as Whop documents: cursor pages with
 * `first`/`after` and `page_info`, a 429 with Retry-After, an HTML page instead of JSON.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, UpstreamError } from "../../errors.ts";
import { DEFAULT_WHOP_API_BASE, WHOP_API_VERSION_DATE, WhopApi, type WhopApiOptions } from "./whop-api.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const PAYMENTS = Array.from({ length: 5 }, (_, i) => ({ id: `pay_${i + 1}`, total: 10 + i }));
const requests: { url: URL; headers: IncomingMessage["headers"] }[] = [];
const script: Handler[] = [];
let server: Server;
let base: string;

/** Whop's cursor pagination over PAYMENTS; `/memberships` is empty. */
const paginate: Handler = (req, res) => {
  const url = new URL(req.url!, "http://x");
  const items = url.pathname.endsWith("/payments") ? PAYMENTS : [];
  const first = Number(url.searchParams.get("first") ?? "10");
  const after = url.searchParams.get("after");
  const start = after ? Number(after.replace("cursor_", "")) + 1 : 0;
  const data = items.slice(start, start + first);
  const last = start + data.length - 1;
  json(res, 200, {
    data,
    page_info: { end_cursor: data.length ? `cursor_${last}` : null, has_next_page: last < items.length - 1 },
  });
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function once(status: number, body: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => res.writeHead(status, headers).end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: new URL(req.url!, "http://x"), headers: req.headers });
    (script.shift() ?? paginate)(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  requests.length = 0;
  script.length = 0;
});

function client(options: Partial<WhopApiOptions> = {}) {
  const sleeps: number[] = [];
  const api = new WhopApi({
    apiKey: "key_test_123",
    baseUrl: base,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    baseDelayMs: 100,
    ...options,
  });
  return { api, sleeps };
}

async function upstreamError(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UpstreamError);
    return error as UpstreamError;
  }
  throw new Error("expected an UpstreamError");
}

describe("WhopApi.listPage", () => {
  it("walks every page with first/after, sending the key, the pinned version and company_id", async () => {
    const { api } = client({ companyId: "biz_default" });
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page = await api.listPage("payments", { after, first: 2 });
      ids.push(...page.data.map((item) => (item as { id: string }).id));
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);

    expect(ids).toEqual(["pay_1", "pay_2", "pay_3", "pay_4", "pay_5"]);
    expect(requests.map((r) => r.url.searchParams.get("after"))).toEqual([null, "cursor_1", "cursor_3"]);
    for (const { url, headers } of requests) {
      expect(url.pathname).toBe("/api/v1/payments");
      expect(url.searchParams.get("first")).toBe("2");
      expect(url.searchParams.get("company_id")).toBe("biz_default");
      expect(headers.authorization).toBe("Bearer key_test_123");
      expect(headers["api-version-date"]).toBe(WHOP_API_VERSION_DATE);
    }
  });

  it("lets a call name its own company and extra filters", async () => {
    const { api } = client({ companyId: "biz_default" });
    await api.listPage("memberships", { companyId: "biz_other", params: { statuses: "active" } });
    expect(requests[0].url.searchParams.get("company_id")).toBe("biz_other");
    expect(requests[0].url.searchParams.get("statuses")).toBe("active");
    expect(requests[0].url.searchParams.has("first")).toBe(false);
  });

  it("reports the last page of an empty list as having no next page", async () => {
    const { api } = client();
    expect(await api.listPage("memberships")).toEqual({ data: [], endCursor: null, hasNextPage: false });
  });

  it("waits as Retry-After says after a 429, then retries", async () => {
    script.push(once(429, '{"message":"You are being rate limited"}', { "retry-after": "3" }));
    const { api, sleeps } = client();
    const page = await api.listPage("payments", { first: 2 });
    expect(page.data).toHaveLength(2);
    expect(sleeps).toEqual([3000]);
    expect(requests).toHaveLength(2);
  });

  it("prefers retry-after-ms, and reads Retry-After as an HTTP date", async () => {
    script.push(once(429, "", { "retry-after-ms": "250", "retry-after": "9" }));
    const date = new Date(Date.UTC(2026, 6, 22, 14, 0, 5));
    script.push(once(429, "", { "retry-after": date.toUTCString() }));
    const { api, sleeps } = client({ now: () => date.getTime() - 5000 });
    await api.listPage("payments");
    expect(sleeps).toEqual([250, 5000]);
  });

  it("cools down at least 60 s plus jitter after a 429 that names no delay", async () => {
    script.push(once(429, ""));
    const { api, sleeps } = client();
    await api.listPage("payments");
    expect(sleeps).toEqual([60_000 + 50]);
  });

  it("retries 5xx with exponential backoff and full jitter", async () => {
    script.push(once(502, "<html>Bad Gateway</html>"), once(500, "{}"), once(503, ""));
    const { api, sleeps } = client({ random: () => 0.99 });
    await api.listPage("payments");
    // Ceilings 100, 200, 400 ms; the wait is a random share of each.
    expect(sleeps).toEqual([99, 198, 396]);
  });

  it("gives up with an UpstreamError after the last attempt", async () => {
    for (let i = 0; i < 3; i++) script.push(once(503, '{"error":{"message":"maintenance"}}'));
    const { api, sleeps } = client({ maxAttempts: 3 });
    const error = await upstreamError(api.listPage("payments"));
    expect(error.message).toBe("GET /payments answered 503: maintenance (gave up after 3 attempts)");
    expect(error.status).toBe(503);
    expect(requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it("fails at once, without retrying, when a 2xx body is HTML instead of JSON", async () => {
    script.push(once(200, "<!doctype html><title>Sign in</title>", { "content-type": "text/html" }));
    const { api, sleeps } = client();
    const error = await upstreamError(api.listPage("payments"));
    expect(error.message).toBe("GET /payments answered 200 with a non-JSON body (text/html)");
    expect(sleeps).toEqual([]);
    expect((await api.listPage("payments")).data).toHaveLength(5);
  });

  it("fails at once on 401 with a bad-key reason, and on other 4xx with Whop's message", async () => {
    script.push(once(401, '{"error":{"message":"Invalid API key"}}'));
    script.push(once(400, '{"error":{"message":"Invalid Api-Version-Date"}}'));
    const { api, sleeps } = client();
    const unauthorized = await upstreamError(api.listPage("payments"));
    expect(unauthorized.message).toBe("Whop rejected the API key (401 on GET /payments)");
    expect(unauthorized.status).toBe(401);
    expect((await upstreamError(api.listPage("payments"))).message).toBe(
      "GET /payments answered 400: Invalid Api-Version-Date",
    );
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it("fails at once when Whop asks for a wait longer than the limit", async () => {
    script.push(once(429, "", { "retry-after": "600" }));
    const { api, sleeps } = client();
    const error = await upstreamError(api.listPage("payments"));
    expect(error.message).toMatch(/asks to wait 600 s, over the 120 s limit/);
    expect(error.status).toBe(429);
    expect(sleeps).toEqual([]);
  });

  it("retries network errors and then reports them", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { api, sleeps } = client({ baseUrl: `http://127.0.0.1:${port}/api/v1`, maxAttempts: 2 });
    const error = await upstreamError(api.listPage("payments"));
    expect(error.message).toMatch(/^GET \/payments failed: .*\(gave up after 2 attempts\)$/);
    expect(sleeps).toEqual([50]);
  });

  it("retries a page whose body breaks off mid-way, like a failed connect", async () => {
    script.push((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "400" });
      res.write('{"data":[{"id":"pay_1"');
      setTimeout(() => res.destroy(), 10);
    });
    const { api, sleeps } = client({ maxAttempts: 2 });
    expect((await api.listPage("payments")).data).toHaveLength(5);
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([50]);

    script.push((_req, res) => {
      res.writeHead(503, { "content-length": "400" });
      res.write("{");
      setTimeout(() => res.destroy(), 10);
    });
    const error = await upstreamError(client({ maxAttempts: 1 }).api.listPage("payments"));
    expect(error.message).toMatch(/^GET \/payments failed reading the body: .*\(gave up after 1 attempts\)$/);
    expect(error.status).toBe(503);
  });

  it("infers a next page from the cursor when page_info has no has_next_page", async () => {
    script.push((_req, res) => json(res, 200, { data: [{ id: "a" }], page_info: { end_cursor: "c1" } }));
    script.push((_req, res) => json(res, 200, { data: [{ id: "b" }], page_info: { has_next_page: true } }));
    script.push((_req, res) => json(res, 200, { items: [] }));
    const { api } = client();
    expect(await api.listPage("payments")).toEqual({
      data: [{ id: "a" }],
      endCursor: "c1",
      hasNextPage: true,
    });
    expect((await upstreamError(api.listPage("payments"))).message).toMatch(
      /has_next_page without an end_cursor/,
    );
    expect((await upstreamError(api.listPage("payments"))).message).toMatch(/without a data array/);
  });
});

describe("WhopApi configuration", () => {
  it("reads the base URL from WHOP_API_BASE, defaulting to Whop's production API", () => {
    const saved = process.env.WHOP_API_BASE;
    try {
      delete process.env.WHOP_API_BASE;
      expect(new WhopApi({ apiKey: "k" }).baseUrl).toBe(DEFAULT_WHOP_API_BASE);
      process.env.WHOP_API_BASE = "http://127.0.0.1:9/api/v1/";
      expect(new WhopApi({ apiKey: "k" }).baseUrl).toBe("http://127.0.0.1:9/api/v1");
    } finally {
      if (saved === undefined) delete process.env.WHOP_API_BASE;
      else process.env.WHOP_API_BASE = saved;
    }
  });

  it("refuses to build without an API key, naming the variable", () => {
    expect(() => WhopApi.fromEnv({ apiKey: "" })).toThrow(ConfigError);
    expect(() => WhopApi.fromEnv({ apiKey: "" })).toThrow("WHOP_API_KEY is not set");
  });
});
