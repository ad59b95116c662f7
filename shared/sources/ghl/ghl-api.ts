/**
 * HighLevel's contacts API, as the backfill needs it (sources.md 3.5): one page of
 * `GET /contacts/` at a time, paced under the burst limit, retried through 429s, 5xx and network
 * errors, and failing with one `UpstreamError` line when a retry cannot help.
 */

import { env } from "../../env.ts";
import { ConfigError, oneLine, UpstreamError } from "../../errors.ts";
import { backoffDelay, parseRetryAfter } from "../../http/retry-delay.ts";
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
export interface GhlApiOptions {
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
  /** Attempts per request, the first included. Default 5. */
  maxAttempts?: number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number;
  /** A longer `Retry-After` than this fails the request instead of stalling the run. Default 60 s. */
  maxRetryAfterMs?: number;
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
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #limiter: SlidingWindowLimiter;

  constructor(options: GhlApiOptions) {
    this.#token = options.token;
    this.#baseUrl = (options.baseUrl ?? env("GHL_API_BASE") ?? GHL_API_BASE_DEFAULT).replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#limiter = options.limiter ?? new SlidingWindowLimiter({ now: this.#now, sleep: this.#sleep });
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

  /** GETs `path` and returns its JSON object, retrying what a retry can fix. */
  async #get(path: string, query: URLSearchParams): Promise<Record<string, unknown>> {
    const url = `${this.#baseUrl}${path}?${query}`;
    const what = `HighLevel GET ${path}`;
    for (let attempt = 1;; attempt++) {
      const last = attempt >= this.#maxAttempts;
      await this.#limiter.acquire();

      let response: Response;
      try {
        response = await this.#fetchOnce(url);
      } catch (error) {
        if (last) {
          throw new UpstreamError(`${what} failed after ${attempt} attempts: ${networkReason(error)}`);
        }
        await this.#sleep(backoffDelay(attempt, this.#random));
        continue;
      }
      this.#limiter.observe(response.headers);

      if (response.ok) {
        const json = await response.json().catch(() => null);
        if (!isRecord(json)) {
          throw new UpstreamError(`${what} answered ${response.status} without a JSON object`);
        }
        return json;
      }

      const detail = await errorDetail(response);
      const status = response.status;
      const failed = `${what} answered ${status}${detail}`;
      if (status === 429) {
        if (response.headers.get("X-RateLimit-Daily-Remaining")?.trim() === "0") {
          throw new UpstreamError(
            `${what} answered 429: the daily API limit for this location is used up`,
            status,
          );
        }
        const retryAfter = parseRetryAfter(response.headers.get("Retry-After"), this.#now());
        if (retryAfter !== null && retryAfter > this.#maxRetryAfterMs) {
          throw new UpstreamError(
            `${failed}; Retry-After ${Math.ceil(retryAfter / 1000)} s is too long to wait`,
            status,
          );
        }
        if (last) throw new UpstreamError(`${failed} after ${attempt} attempts`, status);
        const wait = retryAfter ?? backoffDelay(attempt, this.#random);
        // Pausing the limiter (not just this loop) holds every request sharing it.
        this.#limiter.pause(wait);
        continue;
      }
      if (status >= 500 || status === 408) {
        if (last) throw new UpstreamError(`${failed} after ${attempt} attempts`, status);
        await this.#sleep(backoffDelay(attempt, this.#random));
        continue;
      }
      // 400, 401, 403, 404, 422, ...: the same request will fail the same way.
      throw new UpstreamError(failed, status);
    }
  }

  async #fetchOnce(url: string): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`no answer within ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    try {
      return await this.#fetch(url, {
        headers: {
          Authorization: `Bearer ${this.#token}`,
          Version: GHL_API_VERSION,
          Accept: "application/json",
        },
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
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

/** A network failure in one line: fetch's message plus the system code it wraps (`ECONNREFUSED`). */
function networkReason(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" ? `${oneLine(error)} (${code})` : oneLine(error);
}

/** `": <message>"` from an error body (HighLevel sends `{ statusCode, message }`), else `""`. */
async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let message: unknown = text;
  try {
    const json = JSON.parse(text);
    if (isRecord(json)) {
      message = Array.isArray(json.message) ? json.message.join(", ") : json.message ?? json.error;
    }
  } catch {
    // Not JSON (a gateway's HTML page, say): the status says enough.
    message = /^\s*</.test(text) ? "" : text;
  }
  const line = typeof message === "string" ? oneLine(message.trim()).slice(0, 200) : "";
  return line === "" ? "" : `: ${line}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
