/**
 * Downloads a CSV (a Google export link or any CSV URL) as a byte stream, refusing what is not
 * CSV: Google answers an unshared sheet with its HTML sign-in page and status 200.
 */

import { oneLine, UpstreamError } from "../../errors.ts";
import { duration } from "../../http/fetch-retry.ts";
import { fetchWithGoogleRetry, type GoogleRetryOptions } from "./google-retry-policy.ts";

/** How to download: the retry settings; `timeoutMs` also bounds any silence while the body streams. */
export type FetchCsvOptions = GoogleRetryOptions;

const CSV_TYPES = new Set([
  "text/csv",
  "text/plain",
  "application/csv",
  "text/comma-separated-values",
  "text/x-csv",
  "application/x-csv",
  "application/octet-stream",
  "application/vnd.ms-excel",
]);

const NOT_SHARED = "the sheet is not shared publicly: Google answered with an HTML sign-in page";

/** A CSV download: its body, and whether its end can be trusted. */
export interface CsvDownload {
  body: ReadableStream<Uint8Array>;
  /**
   * The answer had a Content-Length or chunked transfer encoding, so a connection that breaks
   * early makes the body fail. Without either, the body ends when the connection closes, and a
   * download cut short looks complete.
   */
  endVerified: boolean;
  /** Once the body has ended: whether its last byte was a line break (a last row read whole). */
  endedWithLineBreak(): boolean;
}

/** Fetches `url` as {@link fetchCsvBody} does, resolving with the body alone. */
export async function fetchCsv(url: string, opts: FetchCsvOptions = {}): Promise<ReadableStream<Uint8Array>> {
  return (await fetchCsvBody(url, opts)).body;
}

/**
 * Fetches `url` and resolves with its body once it is known to be CSV. Redirects are followed
 * (Google's export answers 307). Throws `UpstreamError` with one line for an HTML page, a 4xx,
 * a non-CSV content type, or 429/5xx that outlast the retries; the returned stream errors with an
 * `UpstreamError` if the server goes silent for `timeoutMs` mid-body or the connection breaks.
 *
 * Under Deno the download speaks HTTP/1.1 (unless a test `fetch` is given): over HTTP/2 an answer
 * has neither header however it ends, and fetch does not say which protocol it used.
 *
 * @example
 * const download = await fetchCsvBody(source.url);
 * for await (const chunk of csvRows(download.body)) { ... }
 */
export async function fetchCsvBody(url: string, opts: FetchCsvOptions = {}): Promise<CsvDownload> {
  const google = /(^|\.)(google|googleusercontent)\.com$/.test(new URL(url).hostname);
  const what = google ? "Google" : "the CSV URL";
  const response = await fetchWithGoogleRetry(what, url, {
    redirect: "follow",
    headers: { accept: "text/csv, text/plain;q=0.9, */*;q=0.1" },
  }, { ...opts, fetch: opts.fetch ?? http1Fetch() });

  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw statusError(response.status, google);
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const finalHost = response.url ? new URL(response.url).hostname : "";
  if (type === "text/html" || type === "application/xhtml+xml" || finalHost === "accounts.google.com") {
    await response.body?.cancel().catch(() => {});
    throw new UpstreamError(google ? NOT_SHARED : "the CSV URL answered with an HTML page, not CSV");
  }
  if (type !== "" && !CSV_TYPES.has(type)) {
    await response.body?.cancel().catch(() => {});
    throw new UpstreamError(`${what} answered ${type}, not CSV`);
  }
  if (!response.body) throw new UpstreamError(`${what} answered without a body`);

  const reader = response.body.getReader();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const first = await readWithin(reader, timeoutMs, what);
  // A text/plain or untyped answer can still be an HTML page.
  if (!first.done && looksLikeHtml(first.value)) {
    await reader.cancel().catch(() => {});
    throw new UpstreamError(google ? NOT_SHARED : "the CSV URL answered with an HTML page, not CSV");
  }

  const endVerified = response.headers.has("content-length") ||
    /\bchunked\b/i.test(response.headers.get("transfer-encoding") ?? "");
  let pending: Uint8Array | null = first.done ? null : first.value;
  let finished = first.done;
  let lastByte = pending && pending.length > 0 ? pending[pending.length - 1] : -1;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // The caller's signal keeps working while the body streams, not only until the headers.
      if (opts.signal?.aborted) {
        await reader.cancel(opts.signal.reason).catch(() => {});
        throw opts.signal.reason;
      }
      if (pending) {
        controller.enqueue(pending);
        pending = null;
        return;
      }
      if (finished) return controller.close();
      const next = await readWithin(reader, timeoutMs, what);
      if (next.done) {
        finished = true;
        controller.close();
      } else {
        if (next.value.length > 0) lastByte = next.value[next.value.length - 1];
        controller.enqueue(next.value);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { body, endVerified, endedWithLineBreak: () => finished && lastByte === 0x0a };
}

let http1Client: unknown = null;

/** Under Deno, a fetch that speaks HTTP/1.1 only (see `fetchCsvBody`); elsewhere the default. */
function http1Fetch(): typeof fetch | undefined {
  const deno = (globalThis as { Deno?: { createHttpClient?: (o: object) => unknown } }).Deno;
  if (typeof deno?.createHttpClient !== "function") return undefined;
  http1Client ??= deno.createHttpClient({ http1: true, http2: false });
  return (input, init) => fetch(input, { ...init, client: http1Client } as unknown as RequestInit);
}

function statusError(status: number, google: boolean): UpstreamError {
  if (status === 401 || status === 403) {
    return new UpstreamError(
      google
        ? `the sheet is not shared publicly: Google answered ${status}`
        : `the CSV URL refused access (${status})`,
      status,
    );
  }
  if (status === 404) {
    return new UpstreamError(
      google ? "the sheet was not found (404): check the link" : "the CSV URL was not found (404)",
      status,
    );
  }
  if (google && status === 400) {
    return new UpstreamError("Google answered 400: check the tab's gid in the link", status);
  }
  return new UpstreamError(`${google ? "Google" : "the CSV URL"} answered ${status}`, status);
}

/** Reads one chunk, failing with one line if none comes within `timeoutMs`. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  timeoutMs: number,
  what: string,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new UpstreamError(`${what} stopped sending the CSV for ${duration(timeoutMs)}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([reader.read(), silence]);
  } catch (error) {
    await reader.cancel().catch(() => {});
    // A broken connection is the download's failure, never mistaken for the database's.
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(`${what} broke off the CSV mid-body (${oneLine(error)})`);
  } finally {
    clearTimeout(timer);
  }
}

function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 512)).replace(/^\ufeff/, "").trimStart()
    .toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html");
}
