/**
 * HighLevel's contacts API, as the backfill needs it (sources.md 3.5): one page of
 * `GET /contacts/` at a time, paced under the burst limit, retried through 429s, 5xx and network
 * errors, and failing with one `UpstreamError` line when a retry cannot help.
 */

import { env } from "../../env.ts";
import { ConfigError, UpstreamError } from "../../errors.ts";
import { fetchWithRetry, type RetryPolicy } from "../../http/fetch-retry.ts";
import { ghlAnswered, ghlRetryPolicy, type GhlRetrySettings } from "./ghl-retry-policy.ts";
import { SlidingWindowLimiter } from "./sliding-window-limiter.ts";

/** HighLevel's API base when `GHL_API_BASE` is unset. */
export const GHL_API_BASE_DEFAULT = "https://services.leadconnectorhq.com";
/** The `Version` header `GET /contacts/` requires (the SDK's default is another). */
export const GHL_API_VERSION = "2021-07-28";
/** The most contacts `GET /contacts/` returns per page. */
export const GHL_CONTACTS_PAGE_MAX = 100;

/** Where the next page starts: both values come from the previous page's `meta`. */
export interface GhlContactsCursor {
  startAfterId: string;
  /** Epoch milliseconds. */
  startAfter: number;
}

/** One page of contacts, as HighLevel sent them, and where the next one starts. */
export interface GhlContactsPage {
  contacts: unknown[];
  /** `null` on the last page. */
  next: GhlContactsCursor | null;
  /** `meta.total`, when HighLevel states it. */
  total?: number;
}

/** Options of a `GhlApi`; everything but the token is injectable for tests. */
export interface GhlApiOptions extends GhlRetrySettings {
  /** A Private Integration Token (`pit-…`) or an OAuth access token with `contacts.readonly`. */
  token: string;
  /** Default: `GHL_API_BASE`, else `GHL_API_BASE_DEFAULT`. */
  baseUrl?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** In [0, 1), for backoff jitter. */
  random?: () => number;
  /** Share one limiter between clients of the same location. */
  limiter?: SlidingWindowLimiter;
}

/**
 * A HighLevel API client for one token.
 *
 * @example
 *   const api = ghlApiFromEnv();
 *   let cursor: GhlContactsCursor | null = null;
 *   do {
 *     const page = await api.listContactsPage({ locationId, ...cursor });
 *     // map page.contacts, save page.next as the checkpoint
 *     cursor = page.next;
 *   } while (cursor);
 */
export class GhlApi {
  readonly #token: string;
  readonly #baseUrl: string;
  readonly #options: GhlApiOptions;
  readonly #policy: RetryPolicy;

  constructor(options: GhlApiOptions) {
    this.#token = options.token;
    this.#baseUrl = (options.baseUrl ?? env("GHL_API_BASE") ?? GHL_API_BASE_DEFAULT).replace(/\/+$/, "");
    this.#options = options;
    const limiter = options.limiter ?? new SlidingWindowLimiter({ now: options.now, sleep: options.sleep });
    this.#policy = ghlRetryPolicy(options, limiter);
  }

  /**
   * One page of a location's contacts, oldest first, via `GET /contacts/`.
   *
   * The page is the last when it is empty, when `meta` gives no cursor, or when the cursor did not
   * move. A `meta.nextPageUrl` of `null` alone does not end the listing: that costs at most one
   * extra (empty) request, where trusting it wrongly would silently drop contacts.
   *
   * @throws UpstreamError after `maxAttempts`, or at once on 400/401/403/404/422.
   */
  async listContactsPage(params: {
    locationId: string;
    startAfterId?: string;
    startAfter?: number;
    limit?: number;
  }): Promise<GhlContactsPage> {
    const limit = Math.min(
      GHL_CONTACTS_PAGE_MAX,
      Math.max(1, Math.trunc(params.limit ?? GHL_CONTACTS_PAGE_MAX)),
    );
    const query = new URLSearchParams({ locationId: params.locationId, limit: String(limit) });
    if (params.startAfterId !== undefined) query.set("startAfterId", params.startAfterId);
    if (params.startAfter !== undefined) query.set("startAfter", String(params.startAfter));

    const json = await this.#get("/contacts/", query);
    const contacts = json.contacts;
    if (!Array.isArray(contacts)) {
      throw new UpstreamError("HighLevel GET /contacts/ answered without a contacts list");
    }
    const meta = isRecord(json.meta) ? json.meta : {};
    const cursor = cursorOf(meta);
    const moved = cursor !== null &&
      (cursor.startAfterId !== params.startAfterId || cursor.startAfter !== params.startAfter);
    const page: GhlContactsPage = { contacts, next: contacts.length > 0 && moved ? cursor : null };
    if (typeof meta.total === "number") page.total = meta.total;
    return page;
  }

  /** GETs `path` and returns its JSON object, retrying what a retry can fix (`ghlRetryPolicy`). */
  async #get(path: string, query: URLSearchParams): Promise<Record<string, unknown>> {
    const what = `HighLevel GET ${path}`;
    const headers = {
      Authorization: `Bearer ${this.#token}`,
      Version: GHL_API_VERSION,
      Accept: "application/json",
    };
    const response = await fetchWithRetry(
      what,
      `${this.#baseUrl}${path}?${query}`,
      { headers },
      this.#policy,
      this.#options,
    );
    // 400, 401, 403, 404, 422, ...: the same request will fail the same way.
    if (!response.ok) throw new UpstreamError(await ghlAnswered(what, response), response.status);
    const json = await response.json().catch(() => null);
    if (!isRecord(json)) throw new UpstreamError(`${what} answered ${response.status} without a JSON object`);
    return json;
  }
}

/**
 * A client configured from `GHL_API_TOKEN` (and `GHL_API_BASE`).
 *
 * @throws ConfigError when `GHL_API_TOKEN` is unset.
 */
export function ghlApiFromEnv(options: Partial<GhlApiOptions> = {}): GhlApi {
  const token = options.token ?? env("GHL_API_TOKEN");
  if (token === undefined) throw new ConfigError("GHL_API_TOKEN is not set");
  return new GhlApi({ ...options, token });
}

/** The cursor `meta` names, read from its fields or else from its `nextPageUrl`. */
function cursorOf(meta: Record<string, unknown>): GhlContactsCursor | null {
  let id = meta.startAfterId;
  let after = meta.startAfter;
  if ((id == null || after == null) && typeof meta.nextPageUrl === "string") {
    // The base only resolves a relative URL; its host is never used.
    const next = URL.canParse(meta.nextPageUrl, "http://base.invalid")
      ? new URL(meta.nextPageUrl, "http://base.invalid").searchParams
      : null;
    id = id ?? next?.get("startAfterId");
    after = after ?? next?.get("startAfter");
  }
  const startAfter = typeof after === "string" && /^\d+$/.test(after) ? Number(after) : after;
  if (typeof id !== "string" || id === "" || typeof startAfter !== "number" || !Number.isFinite(startAfter)) {
    return null;
  }
  return { startAfterId: id, startAfter };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
