/**
 * A small client for Whop's REST API (`/api/v1`), enough for backfill: one page of payments or
 * memberships at a time, cursor-paginated, with retries for rate limits and transient failures.
 * Checkpoints and the page loop belong to the caller (sources.md 2.4).
 */

import { retryAfterMs } from "../../http/retry-delay.ts";
import { env } from "../../env.ts";
import { ConfigError, oneLine, UpstreamError } from "../../errors.ts";

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
export interface WhopApiOptions {
  apiKey: string;
  /** Default `WHOP_API_BASE` from the environment, else `DEFAULT_WHOP_API_BASE`. */
  baseUrl?: string;
  /** The company sent as `company_id` when a call names none. */
  companyId?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per call, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff ceiling; it doubles per attempt up to `maxDelayMs` (defaults 1 s, 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The wait before retrying a 429 that names no delay (default 60 s, plus jitter): the legacy API
   * cools down for 60 s and v1's limits are unpublished (sources.md 2.4).
   */
  rateLimitDelayMs?: number;
  /** A server-requested wait above this fails the call instead of sleeping (default 120 s). */
  maxRetryAfterMs?: number;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Source of jitter in [0, 1) and of the current time (for `Retry-After` dates); for tests. */
  random?: () => number;
  now?: () => number;
}

/** A failure worth retrying, with the delay the server asked for, if any. */
class Retryable {
  constructor(readonly reason: string, readonly retryAfterMs: number | null, readonly status?: number) {}
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
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: WhopApiOptions) {
    if (!options.apiKey) throw new ConfigError("WHOP_API_KEY is not set");
    this.#apiKey = options.apiKey;
    this.#options = options;
    this.baseUrl = (options.baseUrl ?? env("WHOP_API_BASE") ?? DEFAULT_WHOP_API_BASE).replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
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

  /** GET with retries; the parsed JSON body of the first 2xx. */
  async #getJson(url: URL, what: string): Promise<unknown> {
    const maxAttempts = Math.max(1, this.#options.maxAttempts ?? 5);
    for (let attempt = 1;; attempt++) {
      const outcome = await this.#attempt(url, what);
      if (!(outcome instanceof Retryable)) return outcome;
      if (attempt >= maxAttempts) {
        throw new UpstreamError(`${outcome.reason} (gave up after ${attempt} attempts)`, outcome.status);
      }
      const limit = this.#options.maxRetryAfterMs ?? 120_000;
      if (outcome.retryAfterMs !== null && outcome.retryAfterMs > limit) {
        throw new UpstreamError(
          `${outcome.reason}; Whop asks to wait ${Math.ceil(outcome.retryAfterMs / 1000)} s, over the ${
            limit / 1000
          } s limit`,
          429,
        );
      }
      await this.#sleep(this.#delay(attempt, outcome));
    }
  }

  /** One request: the parsed body, a `Retryable`, or a thrown `UpstreamError` for what retries cannot fix. */
  async #attempt(url: URL, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          "api-version-date": WHOP_API_VERSION_DATE,
          accept: "application/json",
        },
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      return new Retryable(`${what} failed: ${networkReason(error)}`, null);
    }

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The connection broke mid-body: as transient as a failed connect.
      return new Retryable(`${what} failed reading the body: ${networkReason(error)}`, null, response.status);
    }
    const status = response.status;
    if (status === 429 || status === 408 || status >= 500) {
      const hint = retryAfterMs(response.headers, this.#options.now?.() ?? Date.now());
      return new Retryable(`${what} answered ${status}${describe(text)}`, hint, status);
    }
    if (status === 401) throw new UpstreamError(`Whop rejected the API key (401 on ${what})`, 401);
    if (status < 200 || status >= 300) {
      throw new UpstreamError(`${what} answered ${status}${describe(text)}`, status);
    }
    try {
      return JSON.parse(text);
    } catch {
      const type = response.headers.get("content-type") ?? "no content type";
      throw new UpstreamError(`${what} answered ${status} with a non-JSON body (${type})`, status);
    }
  }

  /**
   * The server's delay when it named one; otherwise exponential backoff with full jitter (a random
   * wait up to the doubling ceiling, so many clients do not retry in step), on top of a fixed
   * cool-down for an unexplained 429.
   */
  #delay(attempt: number, outcome: Retryable): number {
    if (outcome.retryAfterMs !== null) return outcome.retryAfterMs;
    const base = this.#options.baseDelayMs ?? 1_000;
    const ceiling = Math.min(this.#options.maxDelayMs ?? 30_000, base * 2 ** (attempt - 1));
    const jitter = Math.floor((this.#options.random ?? Math.random)() * ceiling);
    return (outcome.status === 429 ? this.#options.rateLimitDelayMs ?? 60_000 : 0) + jitter;
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

/** `: <message>` from a JSON error body (Whop's `{ message }` or `{ error: { message } }`), else "". */
function describe(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } | string };
    const message = typeof body.error === "object" ? body.error?.message : body.error ?? body.message;
    return typeof message === "string" && message !== "" ? `: ${oneLine(message).slice(0, 200)}` : "";
  } catch {
    return ""; // An HTML error page says nothing a log line needs.
  }
}

function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return "timed out";
  }
  const cause = error instanceof Error ? (error as Error & { cause?: { code?: unknown } }).cause : undefined;
  const code = cause && typeof cause.code === "string" ? ` (${cause.code})` : "";
  return `${oneLine(error)}${code}`;
}
