/**
 * A small client for Whop's REST API (`/api/v1`), enough for backfill: one page of payments or
 * memberships at a time, cursor-paginated, with retries for rate limits and transient failures.
 * Checkpoints and the page loop belong to the caller (sources.md 2.4).
 */

import { fetchWithRetry, type RetryPolicy } from "../../http/fetch-retry.ts";
import { env } from "../../env.ts";
import { ConfigError, UpstreamError } from "../../errors.ts";
import { whopAnswered, whopRetryPolicy, type WhopRetrySettings } from "./whop-retry-policy.ts";

/** Whop's production API; the sandbox is `https://sandbox-api.whop.com/api/v1`. */
export const DEFAULT_WHOP_API_BASE = "https://api.whop.com/api/v1";

/**
 * The API version every request pins, so response shapes do not change under us. It matches the
 * SDK's pin and should match the webhook pin set in Whop's dashboard (sources.md 2.4).
 */
export const WHOP_API_VERSION_DATE = "2026-07-20";

/** The list endpoints backfill reads. */
export type WhopListResource = "payments" | "memberships";

/** One page of a list. */
export interface WhopPage {
  data: unknown[];
  /** The cursor to pass as `after` for the next page; `null` when Whop gave none. */
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Options of `listPage`. */
export interface WhopListOptions {
  /** The previous page's `endCursor`; absent or null for the first page. */
  after?: string | null;
  /** Page size. Whop's maximum is undocumented. */
  first?: number;
  /** Required for app keys; overrides the client's default company. */
  companyId?: string;
  /** Extra query parameters, e.g. `{ updated_after: "2026-01-01T00:00:00Z" }` on `/payments`. */
  params?: Record<string, string>;
}

/** How the client is built; everything but the key has a default, and everything is injectable. */
export interface WhopApiOptions extends WhopRetrySettings {
  apiKey: string;
  /** Default `WHOP_API_BASE` from the environment, else `DEFAULT_WHOP_API_BASE`. */
  baseUrl?: string;
  /** The company sent as `company_id` when a call names none. */
  companyId?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1) and of the current time (for `Retry-After` dates); for tests. */
  random?: () => number;
  now?: () => number;
}

/**
 * Whop REST client.
 *
 * @example
 * const api = WhopApi.fromEnv();
 * let after: string | null = null;
 * do {
 *   const page = await api.listPage("payments", { after, first: 100 });
 *   after = page.hasNextPage ? page.endCursor : null;
 * } while (after);
 */
export class WhopApi {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #options: WhopApiOptions;
  readonly #policy: RetryPolicy;

  constructor(options: WhopApiOptions) {
    if (!options.apiKey) throw new ConfigError("WHOP_API_KEY is not set");
    this.#apiKey = options.apiKey;
    this.#options = options;
    this.baseUrl = (options.baseUrl ?? env("WHOP_API_BASE") ?? DEFAULT_WHOP_API_BASE).replace(/\/+$/, "");
    this.#policy = whopRetryPolicy(options);
  }

  /** A client from `WHOP_API_KEY`, `WHOP_COMPANY_ID` and `WHOP_API_BASE`; `overrides` win. */
  static fromEnv(overrides: Partial<WhopApiOptions> = {}): WhopApi {
    return new WhopApi({
      apiKey: env("WHOP_API_KEY") ?? "",
      companyId: env("WHOP_COMPANY_ID"),
      ...overrides,
    });
  }

  /**
   * One page of `/payments` or `/memberships`.
   *
   * @throws UpstreamError with a one-line reason: a 4xx other than 408/429 (at once; 401 means a
   *   bad key), a body that is not the documented JSON, or the last attempt's failure once 429s,
   *   5xx or network errors have used up every attempt.
   */
  async listPage(resource: WhopListResource, options: WhopListOptions = {}): Promise<WhopPage> {
    const url = new URL(`${this.baseUrl}/${resource}`);
    if (options.first !== undefined) url.searchParams.set("first", String(options.first));
    if (options.after) url.searchParams.set("after", options.after);
    const companyId = options.companyId ?? this.#options.companyId;
    if (companyId) url.searchParams.set("company_id", companyId);
    for (const [name, value] of Object.entries(options.params ?? {})) url.searchParams.set(name, value);

    const body = await this.#getJson(url, `GET /${resource}`);
    return toPage(body, `GET /${resource}`);
  }

  /** GET with retries (`whopRetryPolicy`); the parsed JSON body of the first 2xx. */
  async #getJson(url: URL, what: string): Promise<unknown> {
    const headers = {
      authorization: `Bearer ${this.#apiKey}`,
      "api-version-date": WHOP_API_VERSION_DATE,
      accept: "application/json",
    };
    // The policy buffers the body, so reading it here cannot fail on the network.
    const response = await fetchWithRetry(what, url, { headers }, this.#policy, this.#options);
    const text = await response.text();
    const status = response.status;
    if (status === 401) throw new UpstreamError(`Whop rejected the API key (401 on ${what})`, 401);
    if (status < 200 || status >= 300) throw new UpstreamError(whopAnswered(what, status, text), status);
    try {
      return JSON.parse(text);
    } catch {
      const type = response.headers.get("content-type") ?? "no content type";
      throw new UpstreamError(`${what} answered ${status} with a non-JSON body (${type})`, status);
    }
  }
}

function toPage(body: unknown, what: string): WhopPage {
  const object = typeof body === "object" && body !== null ? body as Record<string, unknown> : {};
  if (!Array.isArray(object.data)) throw new UpstreamError(`${what} answered JSON without a data array`);
  const info = typeof object.page_info === "object" && object.page_info !== null
    ? object.page_info as Record<string, unknown>
    : {};
  const endCursor = typeof info.end_cursor === "string" && info.end_cursor !== "" ? info.end_cursor : null;
  // The SDK's page type has no `has_next_page`; without it, a cursor after a non-empty page means more.
  const hasNextPage = typeof info.has_next_page === "boolean"
    ? info.has_next_page
    : endCursor !== null && object.data.length > 0;
  // Going on without a cursor would restart at page one; stopping would silently drop the rest.
  if (hasNextPage && endCursor === null) {
    throw new UpstreamError(`${what} said has_next_page without an end_cursor`);
  }
  return { data: object.data, endCursor, hasNextPage };
}
