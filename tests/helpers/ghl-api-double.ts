/**
 * GhlApiDouble: a local stand-in for HighLevel's `GET /contacts/` (sources.md 3.5), behaving as
 * documented: `Authorization: Bearer` and `Version: 2021-07-28` required, `limit` at most 100,
 * pages oldest first continued by `meta.startAfterId` + `meta.startAfter` (ms), `X-RateLimit-*`
 * headers on every answer, and, when asked, one 429 or a failure after some pages.
 */
import { createServer, type Server } from "node:http";

/** One request the double answered. */
export interface SeenRequest {
  status: number;
  locationId: string | null;
  limit: number;
  startAfterId: string | null;
  startAfter: number | null;
  authorization: string | null;
  version: string | null;
}

export interface GhlApiDouble {
  /** Base URL, for `GHL_API_BASE` or `GhlApi({ baseUrl })`. */
  url: string;
  /** The location's contacts, oldest first; tests may remove some to simulate deletions. */
  contacts: Record<string, unknown>[];
  requests: SeenRequest[];
  /** The next request (after `afterPages` more successful pages) answers 429 once. */
  rateLimitOnce(afterPages?: number): void;
  /** After `afterPages` more successful pages, the next `times` requests answer `status`. */
  failAfter(afterPages: number, status: number, times?: number): void;
  close(): Promise<void>;
}

/** `count` contacts of `locationId`, `c0` … `c<count-1>`, one second apart, each with an email. */
export function makeContacts(count: number, locationId: string): Record<string, unknown>[] {
  const start = Date.parse("2024-03-01T10:00:00.000Z");
  return Array.from({ length: count }, (_, i) => ({
    id: `c${i}`,
    locationId,
    contactName: `person ${i}`,
    firstName: "person",
    lastName: String(i),
    email: `person${i}@example.com`,
    phone: `+1555000${String(i).padStart(4, "0")}`,
    tags: i % 2 === 0 ? ["even"] : [],
    dnd: false,
    customFields: [{ id: "cf1", value: `v${i}` }],
    dateAdded: new Date(start + i * 1000).toISOString(),
    dateUpdated: new Date(start + i * 1000 + 500).toISOString(),
  }));
}

/** Starts the double for `token` and `locationId`, serving `contacts`. */
export async function startGhlApiDouble(options: {
  token: string;
  locationId: string;
  contacts: Record<string, unknown>[];
}): Promise<GhlApiDouble> {
  const requests: SeenRequest[] = [];
  let pagesServed = 0;
  let rateLimitAt: number | null = null;
  let failure: { at: number; status: number; times: number } | null = null;
  const windowStarts: number[] = [];
  const double = { contacts: options.contacts } as GhlApiDouble;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://double.invalid");
    const seen: SeenRequest = {
      status: 200,
      locationId: url.searchParams.get("locationId"),
      limit: Number(url.searchParams.get("limit") ?? 20),
      startAfterId: url.searchParams.get("startAfterId"),
      startAfter: url.searchParams.has("startAfter") ? Number(url.searchParams.get("startAfter")) : null,
      authorization: req.headers.authorization ?? null,
      version: (req.headers.version as string | undefined) ?? null,
    };
    requests.push(seen);
    const now = Date.now();
    windowStarts.push(now);
    while (windowStarts[0] <= now - 10_000) windowStarts.shift();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      res.writeHead(status, {
        "content-type": "application/json",
        "X-RateLimit-Limit-Daily": "200000",
        "X-RateLimit-Daily-Remaining": String(200_000 - requests.length),
        "X-RateLimit-Interval-Milliseconds": "10000",
        "X-RateLimit-Max": "100",
        "X-RateLimit-Remaining": String(Math.max(0, 100 - windowStarts.length)),
        ...headers,
      });
      res.end(JSON.stringify(body));
    };

    if (req.method !== "GET" || url.pathname !== "/contacts/") {
      return send(404, { statusCode: 404, message: `Cannot ${req.method} ${url.pathname}` });
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return send(401, { statusCode: 401, message: "Invalid JWT" });
    }
    if (seen.version !== "2021-07-28") {
      return send(400, { statusCode: 400, message: "Version header missing" });
    }
    if (seen.locationId !== options.locationId) {
      return send(403, { statusCode: 403, message: "The token does not have access to this location" });
    }
    if (!(seen.limit >= 1 && seen.limit <= 100)) {
      return send(422, { statusCode: 422, message: ["limit must not be greater than 100"] });
    }
    if (rateLimitAt !== null && pagesServed >= rateLimitAt) {
      rateLimitAt = null;
      return send(429, { statusCode: 429, message: "Too Many Requests" }, { "X-RateLimit-Remaining": "0" });
    }
    if (failure && pagesServed >= failure.at && failure.times > 0) {
      const status = failure.status;
      if (--failure.times === 0) failure = null;
      return send(status, {
        statusCode: status,
        message: status === 401 ? "Invalid JWT" : "Internal Server Error",
      });
    }

    const all = double.contacts;
    const after = seen.startAfterId === null ? all : all.filter((c) =>
      position(c) > seen.startAfter! ||
      (position(c) === seen.startAfter && String(c.id) > seen.startAfterId!)
    );
    const page = after.slice(0, seen.limit);
    const last = page.at(-1);
    const more = after.length > page.length;
    pagesServed++;
    const next = more && last ? { startAfterId: String(last.id), startAfter: position(last) } : null;
    send(200, {
      contacts: page,
      meta: {
        total: all.length,
        currentPage: pagesServed,
        startAfterId: next?.startAfterId ?? null,
        startAfter: next?.startAfter ?? null,
        nextPageUrl: next
          ? `https://services.leadconnectorhq.com/contacts/?locationId=${options.locationId}&limit=${seen.limit}` +
            `&startAfterId=${next.startAfterId}&startAfter=${next.startAfter}`
          : null,
      },
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return Object.assign(double, {
    url: `http://127.0.0.1:${port}`,
    requests,
    rateLimitOnce(afterPages = 0) {
      rateLimitAt = pagesServed + afterPages;
    },
    failAfter(afterPages: number, status: number, times = 1) {
      failure = { at: pagesServed + afterPages, status, times };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** The contact's `dateAdded` in epoch ms: the position `startAfter` counts in. */
function position(contact: Record<string, unknown>): number {
  return Date.parse(String(contact.dateAdded));
}
