/**
 * WhopApiDouble: a local node:http server that answers `/api/v1/payments` and `/api/v1/memberships`
 * as Whop documents them (sources.md 2.4): cursor pages with `first`/`after` and
 * `{ data, page_info: { end_cursor, has_next_page } }`, `Authorization: Bearer <key>` (401 else),
 * a required `Api-Version-Date: YYYY-MM-DD` (400 else). On request it answers one 429 with
 * `Retry-After: 1`, or 500 from a given page on until told to stop.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type WhopDoubleResource = "payments" | "memberships";

/** One request the double saw. */
export interface WhopDoubleRequest {
  resource: string;
  after: string | null;
  first: number | null;
  /** The 1-based page the request asked for (from its cursor). */
  page: number;
  status: number;
  authorization: string | undefined;
  apiVersionDate: string | undefined;
  companyId: string | null;
}

export interface WhopApiDouble {
  /** The API base, e.g. `http://127.0.0.1:40123/api/v1` (what `WHOP_API_BASE` takes). */
  base: string;
  /** The objects each list returns, in order; edit them between runs. */
  objects: Record<WhopDoubleResource, Record<string, unknown>[]>;
  requests: WhopDoubleRequest[];
  /** The next request answers 429 with `Retry-After: 1`. */
  rateLimitOnce(): void;
  /** Requests for `resource` at page `page` or later answer `status` (500) until `stopFailing()`. */
  failFrom(resource: WhopDoubleResource, page: number, status?: number): void;
  stopFailing(): void;
  stop(): Promise<void>;
}

const VERSION_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DEFAULT_FIRST = 10;

/** Starts the double; requests must carry `Bearer <apiKey>`. */
export async function startWhopApiDouble(options: { apiKey: string }): Promise<WhopApiDouble> {
  const objects: WhopApiDouble["objects"] = { payments: [], memberships: [] };
  const requests: WhopDoubleRequest[] = [];
  let rateLimitNext = false;
  let failing: { resource: WhopDoubleResource; page: number; status: number } | null = null;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://double");
    const resource = url.pathname.replace(/^\/api\/v1\//, "");
    const after = url.searchParams.get("after");
    const first = url.searchParams.has("first") ? Number(url.searchParams.get("first")) : null;
    const size = first ?? DEFAULT_FIRST;
    // Cursors are opaque to the client; here they encode the offset of the next object.
    const offset = after ? Number(Buffer.from(after, "base64url").toString().replace("offset:", "")) : 0;
    const seen: WhopDoubleRequest = {
      resource,
      after,
      first,
      page: Math.floor(offset / size) + 1,
      status: 200,
      authorization: req.headers.authorization,
      apiVersionDate: req.headers["api-version-date"] as string | undefined,
      companyId: url.searchParams.get("company_id"),
    };
    requests.push(seen);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
    };

    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return answer(401, { error: { type: "unauthorized", message: "Invalid API key" } });
    }
    if (!VERSION_DATE.test(seen.apiVersionDate ?? "")) {
      return answer(400, { error: { message: "Api-Version-Date must be YYYY-MM-DD" } });
    }
    if (resource !== "payments" && resource !== "memberships") return answer(404, { error: "not found" });
    if (!Number.isInteger(offset) || offset < 0) return answer(400, { error: { message: "bad cursor" } });
    if (rateLimitNext) {
      rateLimitNext = false;
      return answer(429, { message: "You are being rate limited" }, { "retry-after": "1" });
    }
    if (failing && failing.resource === resource && seen.page >= failing.page) {
      return answer(failing.status, { error: { message: `simulated failure ${failing.status}` } });
    }
    const list = objects[resource];
    const data = list.slice(offset, offset + size);
    const next = offset + data.length;
    answer(200, {
      data,
      page_info: {
        end_cursor: data.length > 0 ? Buffer.from(`offset:${next}`).toString("base64url") : null,
        start_cursor: null,
        has_next_page: next < list.length,
        has_previous_page: offset > 0,
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/api/v1`,
    objects,
    requests,
    rateLimitOnce: () => void (rateLimitNext = true),
    failFrom: (resource, page, status = 500) => void (failing = { resource, page, status }),
    stopFailing: () => void (failing = null),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A paid USD payment as `/payments` lists it (pin 2026-07-20). */
export function whopPaymentObject(
  n: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 6, 1) + n * 3_600_000).toISOString();
  return {
    id: `pay_backfill_${n}`,
    status: "paid",
    substatus: "succeeded",
    currency: "usd",
    subtotal: 10 + n,
    total: 10 + n,
    usd_total: 10 + n,
    refunded_amount: 0,
    created_at: at,
    updated_at: at,
    paid_at: at,
    user: { id: `user_${n}`, email: `buyer${n}@example.com`, name: `Buyer ${n}`, username: `buyer${n}` },
    ...overrides,
  };
}

/** An active membership as `/memberships` lists it. */
export function whopMembershipObject(
  n: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 5, 1) + n * 3_600_000).toISOString();
  return {
    id: `mem_backfill_${n}`,
    status: "active",
    created_at: at,
    updated_at: at,
    currency: "usd",
    user: { id: `user_${n}`, email: `buyer${n}@example.com`, name: `Buyer ${n}` },
    ...overrides,
  };
}
