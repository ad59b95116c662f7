import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, UpstreamError } from "../../errors.ts";
import { GHL_API_VERSION, GhlApi, ghlApiFromEnv, type GhlContactsCursor } from "./ghl-api.ts";

/**
 * A local stand-in for `GET /contacts/` that behaves as HighLevel documents it: `limit` at most
 * 100, `startAfterId` + `startAfter` cursors in `meta`, rate-limit headers on every answer.
 */
interface Double {
  baseUrl: string;
  requests: URL[];
  headers: IncomingMessage["headers"][];
}

interface DoubleOptions {
  contacts?: number;
  /** Answer this request (1-based) with a 429 and this Retry-After (`null`: no header). */
  rateLimitOn?: { request: number; retryAfter: string | null };
  /** Answer every request from this one (1-based) with a 500. */
  failFrom?: number;
  /** The X-RateLimit-Remaining to send; default counts down from 100 per request. */
  remaining?: (request: number) => number;
  /** Answer with this status and body instead (for auth and validation errors). */
  fixed?: { status: number; body: string };
  /** Never answer. */
  hang?: boolean;
}

const TOKEN = "pit-test-token-0000";
const LOCATION = "ve9EPM428h8vShlRW1KT";
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function startDouble(options: DoubleOptions = {}): Promise<Double> {
  const all = Array.from({ length: options.contacts ?? 250 }, (_, i) => ({
    id: `c${String(i).padStart(4, "0")}`,
    locationId: LOCATION,
    email: `person${i}@example.com`,
    firstName: `Person${i}`,
    dateAdded: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    dateUpdated: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  }));
  const double: Double = { baseUrl: "", requests: [], headers: [] };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    double.requests.push(url);
    double.headers.push(req.headers);
    const n = double.requests.length;
    if (options.hang) return;
    res.setHeader("content-type", "application/json");
    res.setHeader("X-RateLimit-Max", "100");
    res.setHeader("X-RateLimit-Interval-Milliseconds", "10000");
    res.setHeader("X-RateLimit-Remaining", String(options.remaining?.(n) ?? Math.max(0, 100 - n)));
    res.setHeader("X-RateLimit-Daily-Remaining", String(200_000 - n));

    const send = (status: number, body: unknown) => {
      res.statusCode = status;
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (options.fixed) return send(options.fixed.status, options.fixed.body);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return send(401, { statusCode: 401, message: "Invalid JWT" });
    }
    if (req.headers.version !== GHL_API_VERSION) {
      return send(400, { statusCode: 400, message: "Version header" });
    }
    if (options.rateLimitOn?.request === n) {
      if (options.rateLimitOn.retryAfter !== null) {
        res.setHeader("Retry-After", options.rateLimitOn.retryAfter);
      }
      return send(429, { statusCode: 429, message: "Too many requests" });
    }
    if (options.failFrom !== undefined && n >= options.failFrom) {
      return send(500, { message: "Internal error" });
    }

    const limit = Number(url.searchParams.get("limit"));
    if (!(limit >= 1 && limit <= 100)) {
      return send(422, { statusCode: 422, message: ["limit must not be > 100"] });
    }
    const afterId = url.searchParams.get("startAfterId");
    const start = afterId === null ? 0 : all.findIndex((c) => c.id === afterId) + 1;
    const page = all.slice(start, start + limit);
    const last = page.at(-1);
    const more = start + limit < all.length;
    const cursor = last ? { startAfterId: last.id, startAfter: Date.parse(last.dateAdded) } : {};
    const nextPageUrl = more && last
      ? `${double.baseUrl}/contacts/?locationId=${LOCATION}&limit=${limit}&startAfterId=${last.id}` +
        `&startAfter=${Date.parse(last.dateAdded)}`
      : null;
    send(200, { contacts: page, meta: { total: all.length, ...cursor, nextPageUrl } });
  };

  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  double.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return double;
}

/** A fake clock; sleeping advances it instantly and records the wait. */
function fakeTime() {
  let now = 1_750_000_000_000;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

function client(
  double: Double,
  time = fakeTime(),
  extra: Partial<ConstructorParameters<typeof GhlApi>[0]> = {},
) {
  return new GhlApi({
    token: TOKEN,
    baseUrl: double.baseUrl,
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    ...extra,
  });
}

async function listAll(api: GhlApi, limit = 100): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: GhlContactsCursor | null = null;
  let pages = 0;
  do {
    const page = await api.listContactsPage({ locationId: LOCATION, limit, ...cursor });
    ids.push(...page.contacts.map((c) => (c as { id: string }).id));
    cursor = page.next;
    pages++;
  } while (cursor);
  return { ids, pages };
}

async function upstreamError(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(UpstreamError);
  expect((error as Error).message).not.toContain("\n");
  expect((error as Error).message).not.toContain(TOKEN);
  return error as UpstreamError;
}

describe("GhlApi.listContactsPage", () => {
  it("sends the token, the 2021-07-28 Version header and the cursor from the previous page's meta", async () => {
    const double = await startDouble();
    const api = client(double);
    const first = await api.listContactsPage({ locationId: LOCATION });
    expect(first.contacts).toHaveLength(100);
    expect(first.total).toBe(250);
    expect(first.next).toEqual({ startAfterId: "c0099", startAfter: 1_700_000_099_000 });
    await api.listContactsPage({ locationId: LOCATION, ...first.next! });

    expect(double.headers[0]).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      version: "2021-07-28",
      accept: "application/json",
    });
    expect(double.requests[0].pathname).toBe("/contacts/");
    expect(Object.fromEntries(double.requests[1].searchParams)).toEqual({
      locationId: LOCATION,
      limit: "100",
      startAfterId: "c0099",
      startAfter: "1700000099000",
    });
  });

  it("pages through every contact exactly once and ends on an empty page", async () => {
    const double = await startDouble({ contacts: 250 });
    const { ids, pages } = await listAll(client(double), 100);
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect(ids[0]).toBe("c0000");
    expect(ids.at(-1)).toBe("c0249");
    expect(pages).toBeLessThanOrEqual(4);
  });

  it("never asks for more than 100 contacts per page", async () => {
    const double = await startDouble();
    await client(double).listContactsPage({ locationId: LOCATION, limit: 500 });
    expect(double.requests[0].searchParams.get("limit")).toBe("100");
  });

  it("waits out a 429 for its Retry-After and then returns the page", async () => {
    const double = await startDouble({ rateLimitOn: { request: 2, retryAfter: "3" } });
    const time = fakeTime();
    const { ids } = await listAll(client(double, time));
    expect(ids).toHaveLength(250);
    expect(time.sleeps).toContain(3000);
    expect(double.requests[1].searchParams.get("startAfterId")).toBe(
      double.requests[2].searchParams.get("startAfterId"),
    );
  });

  it("backs off with jitter after a 429 that has no Retry-After", async () => {
    const double = await startDouble({ rateLimitOn: { request: 1, retryAfter: null } });
    const time = fakeTime();
    const page = await client(double, time, { random: () => 0 }).listContactsPage({ locationId: LOCATION });
    expect(page.contacts).toHaveLength(100);
    expect(time.sleeps).toEqual([250]);
  });

  it("slows down when X-RateLimit-Remaining runs low", async () => {
    const double = await startDouble({ remaining: () => 1 });
    const time = fakeTime();
    const api = client(double, time);
    await api.listContactsPage({ locationId: LOCATION });
    await api.listContactsPage({ locationId: LOCATION });
    expect(time.sleeps).toEqual([10_000]);
  });

  it("gives up with an UpstreamError when the server keeps failing mid-way, after returning earlier pages", async () => {
    const double = await startDouble({ failFrom: 3 });
    const time = fakeTime();
    const api = client(double, time);
    const first = await api.listContactsPage({ locationId: LOCATION });
    const second = await api.listContactsPage({ locationId: LOCATION, ...first.next! });
    expect(second.next).toEqual({ startAfterId: "c0199", startAfter: 1_700_000_199_000 });

    const error = await upstreamError(api.listContactsPage({ locationId: LOCATION, ...second.next! }));
    expect(error.status).toBe(500);
    expect(error.message).toBe("HighLevel GET /contacts/ answered 500: Internal error after 5 attempts");
    expect(double.requests).toHaveLength(2 + 5);
    // Four retries, each ceiling doubling (random 0.5 gives three quarters of the ceiling).
    expect(time.sleeps).toEqual([375, 750, 1500, 3000]);
  });

  it.each([
    [401, '{"statusCode":401,"message":"Invalid JWT"}', "HighLevel GET /contacts/ answered 401: Invalid JWT"],
    [403, '{"statusCode":403,"message":"The token is not authorized for this scope."}', "answered 403"],
    [400, '{"statusCode":400,"message":["locationId must be a string"]}', "answered 400: locationId must be"],
    [422, '{"statusCode":422,"message":"Unprocessable"}', "answered 422: Unprocessable"],
  ])("gives up at once on a %i, which a retry cannot fix", async (status, body, expected) => {
    const double = await startDouble({ fixed: { status, body } });
    const time = fakeTime();
    const error = await upstreamError(client(double, time).listContactsPage({ locationId: LOCATION }));
    expect(error.status).toBe(status);
    expect(error.message).toContain(expected);
    expect(double.requests).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it("gives up when the daily limit is used up instead of retrying all day", async () => {
    const double = await startDouble({ fixed: { status: 429, body: "{}" } });
    const api = new GhlApi({
      token: TOKEN,
      baseUrl: double.baseUrl,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const headers = new Headers(response.headers);
        headers.set("X-RateLimit-Daily-Remaining", "0");
        return new Response(await response.text(), { status: response.status, headers });
      },
    });
    const error = await upstreamError(api.listContactsPage({ locationId: LOCATION }));
    expect(error.message).toContain("daily API limit");
    expect(double.requests).toHaveLength(1);
  });

  it("refuses to stall on a Retry-After longer than it is willing to wait", async () => {
    const double = await startDouble({ rateLimitOn: { request: 1, retryAfter: "3600" } });
    const error = await upstreamError(client(double).listContactsPage({ locationId: LOCATION }));
    expect(error.message).toContain("Retry-After 3600 s is too long to wait");
  });

  it("retries network errors and then reports the cause in one line", async () => {
    const double = await startDouble();
    const closed = double.baseUrl;
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    const time = fakeTime();
    const error = await upstreamError(
      new GhlApi({ token: TOKEN, baseUrl: closed, now: time.now, sleep: time.sleep, maxAttempts: 3 })
        .listContactsPage({ locationId: LOCATION }),
    );
    expect(error.message).toMatch(/^HighLevel GET \/contacts\/ failed after 3 attempts: .*ECONNREFUSED/);
    expect(time.sleeps).toHaveLength(2);
  });

  it("treats an attempt that gets no answer within the timeout as a network error", async () => {
    const double = await startDouble({ hang: true });
    const error = await upstreamError(
      client(double, fakeTime(), { timeoutMs: 50, maxAttempts: 2 })
        .listContactsPage({ locationId: LOCATION }),
    );
    expect(error.message).toContain("failed after 2 attempts");
    expect(double.requests).toHaveLength(2);
  });

  it("ends the listing when meta repeats the cursor it was given, instead of looping", async () => {
    const stuck = { startAfterId: "c0001", startAfter: 1 };
    const api = new GhlApi({
      token: TOKEN,
      baseUrl: "http://127.0.0.1:9",
      fetch: () => Promise.resolve(Response.json({ contacts: [{ id: "x" }], meta: stuck })),
    });
    expect((await api.listContactsPage({ locationId: LOCATION, ...stuck })).next).toBeNull();
  });

  it("reads the cursor from meta.nextPageUrl when meta lacks the fields", async () => {
    const api = new GhlApi({
      token: TOKEN,
      baseUrl: "http://127.0.0.1:9",
      fetch: () =>
        Promise.resolve(Response.json({
          contacts: [{ id: "a" }],
          meta: {
            nextPageUrl:
              "https://services.leadconnectorhq.com/contacts/?startAfterId=a&startAfter=1700000000000",
          },
        })),
    });
    expect((await api.listContactsPage({ locationId: LOCATION })).next).toEqual({
      startAfterId: "a",
      startAfter: 1_700_000_000_000,
    });
  });

  it("fails clearly on a 200 that is not the documented shape", async () => {
    const api = new GhlApi({
      token: TOKEN,
      baseUrl: "http://127.0.0.1:9",
      fetch: () => Promise.resolve(new Response("<html>login</html>", { status: 200 })),
    });
    const error = await upstreamError(api.listContactsPage({ locationId: LOCATION }));
    expect(error.message).toBe("HighLevel GET /contacts/ answered 200 without a JSON object");
  });
});

describe("ghlApiFromEnv", () => {
  it("refuses to build a client without GHL_API_TOKEN", () => {
    const saved = process.env.GHL_API_TOKEN;
    delete process.env.GHL_API_TOKEN;
    try {
      expect(() => ghlApiFromEnv()).toThrow(new ConfigError("GHL_API_TOKEN is not set"));
    } finally {
      if (saved !== undefined) process.env.GHL_API_TOKEN = saved;
    }
  });

  it("uses GHL_API_BASE when no base URL is given", async () => {
    const double = await startDouble();
    const saved = process.env.GHL_API_BASE;
    process.env.GHL_API_BASE = double.baseUrl;
    try {
      const page = await ghlApiFromEnv({ token: TOKEN }).listContactsPage({ locationId: LOCATION, limit: 5 });
      expect(page.contacts).toHaveLength(5);
    } finally {
      if (saved === undefined) delete process.env.GHL_API_BASE;
      else process.env.GHL_API_BASE = saved;
    }
  });
});
