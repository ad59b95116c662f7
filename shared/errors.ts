/**
 * The few errors that cross layers. Each carries data and a one-line message fit for the caller;
 * `shared/http/errors.ts` maps them to HTTP statuses in one place.
 */

/** A delivery whose signature, secret or timestamp does not check out (HTTP 401). */
export class SignatureError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "SignatureError";
  }
}

/** A body that is not what the source documents (HTTP 400, or stored as failed for replay). */
export class PayloadError extends Error {
  constructor(message: string, readonly issues: unknown[] = []) {
    super(message);
    this.name = "PayloadError";
  }
}

/** A body larger than we accept (HTTP 413). */
export class PayloadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body is larger than ${limit} bytes`);
    this.name = "PayloadTooLargeError";
  }
}

/** Configuration that is missing or wrong (HTTP 500 with the variable's name, never its value). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** An upstream API that failed in a way a retry will not fix now. */
export class UpstreamError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "UpstreamError";
  }
}

/**
 * The request cannot be served now and should be retried (the database cannot take it). `status` is
 * the one that makes the caller retry: 503, or 429 for HighLevel, which retries nothing else.
 */
export class UnavailableError extends Error {
  constructor(readonly reason: string, readonly status: 503 | 429 = 503, readonly label = "unavailable") {
    super(reason);
    this.name = "UnavailableError";
  }
}

/** A thing the request names does not exist (HTTP 404), e.g. an unknown sheet source. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** One line for a caller: the message of a known error, a generic line for anything else. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].slice(0, 500);
}
