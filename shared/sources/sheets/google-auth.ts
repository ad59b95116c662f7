/**
 * Credentials for the Google Sheets API: a service account (a JWT signed with its key, exchanged
 * for an access token that is cached until about five minutes before it expires), or an API key
 * (enough for sheets shared with "anyone with the link").
 */

import { ConfigError, oneLine, UpstreamError } from "../../errors.ts";
import { env } from "../../env.ts";
import { fromBase64, toBase64Url, utf8 } from "../../crypto/encoding.ts";
import { fetchWithGoogleRetry, type GoogleRetryOptions } from "./google-retry-policy.ts";

/** The read-only Sheets scope: this project never writes to a sheet. */
export const SHEETS_READONLY_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly";
/** Google's OAuth token endpoint (`GOOGLE_TOKEN_URL` overrides it). */
export const DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";

/** The fields of a service-account key file this module uses. */
export interface ServiceAccount {
  client_email: string;
  private_key: string;
}

/** Adds credentials to Sheets API requests. */
export interface GoogleAuth {
  /** What signs the requests, for messages: `service account x@p.iam.gserviceaccount.com` or `API key`. */
  readonly description: string;
  /** Sets the bearer token header, or the `key=` query parameter. */
  authorize(url: URL, headers: Headers): Promise<void>;
  /** Forgets the cached token, after Google answered 401 to it. */
  invalidate(): void;
}

/** Options of `serviceAccountAuth`. */
export interface ServiceAccountOptions {
  /** Token endpoint, also the JWT's `aud` (default `GOOGLE_TOKEN_URL`, else Google's). */
  tokenUrl?: string;
  scope?: string;
  /** Milliseconds since the epoch (tests move the clock). */
  now?: () => number;
  /** Retry settings for the token request. */
  retry?: GoogleRetryOptions;
}

const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Reads a key file's JSON (as `GOOGLE_SERVICE_ACCOUNT_JSON` holds it; base64 of the JSON is
 * accepted too). Throws `ConfigError` naming the variable, never echoing its content.
 */
export function parseServiceAccount(text: string, variable = "GOOGLE_SERVICE_ACCOUNT_JSON"): ServiceAccount {
  let json = text.trim();
  if (!json.startsWith("{")) {
    const bytes = fromBase64(json);
    json = bytes ? new TextDecoder().decode(bytes).trim() : json;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError(`${variable} is not a service-account key file (JSON)`);
  }
  const account = parsed as Partial<ServiceAccount> | null;
  if (typeof account?.client_email !== "string" || typeof account.private_key !== "string") {
    throw new ConfigError(`${variable} lacks client_email or private_key`);
  }
  return { client_email: account.client_email, private_key: account.private_key };
}

/**
 * Imports a PKCS#8 PEM private key for RS256. Literal `\n` sequences (a key pasted into an env
 * var) are turned back into newlines first.
 */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const text = pem.replace(/\\n/g, "\n").trim();
  if (text.includes("BEGIN RSA PRIVATE KEY")) {
    throw new ConfigError(
      "the service account's private_key is PKCS#1; convert it with `openssl pkcs8 -topk8 -nocrypt`",
    );
  }
  const body = text.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  const der = fromBase64(body);
  if (!der || der.length === 0) throw new ConfigError("the service account's private_key is not a PEM key");
  try {
    return await crypto.subtle.importKey(
      "pkcs8",
      der,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      [
        "sign",
      ],
    );
  } catch {
    throw new ConfigError("the service account's private_key is not a PKCS#8 RSA key");
  }
}

/**
 * The signed assertion of Google's server-to-server flow: header `{"alg":"RS256","typ":"JWT"}`,
 * claims `iss`, `scope`, `aud`, `iat`, `exp` (one hour later, Google's maximum).
 */
export async function signServiceAccountJwt(
  account: ServiceAccount,
  key: CryptoKey,
  claims: { scope: string; audience: string; nowSeconds: number },
): Promise<string> {
  const header = { alg: "RS256", typ: "JWT" };
  const payload = {
    iss: account.client_email,
    scope: claims.scope,
    aud: claims.audience,
    iat: claims.nowSeconds,
    exp: claims.nowSeconds + 3600,
  };
  const signingInput = `${toBase64Url(utf8(JSON.stringify(header)))}.${
    toBase64Url(utf8(JSON.stringify(payload)))
  }`;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, utf8(signingInput));
  return `${signingInput}.${toBase64Url(new Uint8Array(signature))}`;
}

/**
 * Authorises with a service account. The token is fetched on first use, shared by concurrent
 * callers, and reused until five minutes before it expires. Build one per process (at module
 * load in an edge function) so warm invocations reuse the token.
 */
export function serviceAccountAuth(account: ServiceAccount, opts: ServiceAccountOptions = {}): GoogleAuth {
  const tokenUrl = opts.tokenUrl ?? env("GOOGLE_TOKEN_URL") ?? DEFAULT_TOKEN_URL;
  const now = opts.now ?? Date.now;
  let key: Promise<CryptoKey> | null = null;
  let cached: { token: string; refreshAt: number } | null = null;
  let inFlight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    key ??= importPrivateKey(account.private_key);
    const issuedAt = now();
    const assertion = await signServiceAccountJwt(account, await key, {
      scope: opts.scope ?? SHEETS_READONLY_SCOPE,
      audience: tokenUrl,
      nowSeconds: Math.floor(issuedAt / 1000),
    });
    const response = await fetchWithGoogleRetry("Google's token endpoint", tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }),
    }, opts.retry);
    const body = await response.json().catch(() => null) as
      | { access_token?: string; expires_in?: number; error?: string; error_description?: string }
      | null;
    if (!response.ok || typeof body?.access_token !== "string") {
      const detail = body?.error
        ? `${body.error}${body.error_description ? ` (${body.error_description})` : ""}`
        : `status ${response.status}`;
      // invalid_grant is most often a clock off by minutes or a deleted key.
      const hint = body?.error === "invalid_grant"
        ? "; check the server clock and that the key is active"
        : "";
      throw new UpstreamError(
        oneLine(`Google refused the service account's token request: ${detail}${hint}`),
        response.status,
      );
    }
    const lifetime = (body.expires_in ?? 3600) * 1000;
    cached = {
      token: body.access_token,
      refreshAt: issuedAt + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2),
    };
    return body.access_token;
  }

  function token(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    inFlight ??= fetchToken().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  return {
    description: `service account ${account.client_email}`,
    async authorize(_url, headers) {
      headers.set("authorization", `Bearer ${await token()}`);
    },
    invalidate() {
      cached = null;
    },
  };
}

/** Authorises with an API key (`key=` query parameter): public sheets only. */
export function apiKeyAuth(apiKey: string): GoogleAuth {
  return {
    description: "API key",
    authorize(url) {
      url.searchParams.set("key", apiKey);
      return Promise.resolve();
    },
    invalidate() {},
  };
}

/**
 * The credentials the environment configures: `GOOGLE_SERVICE_ACCOUNT_JSON` (preferred), else
 * `GOOGLE_API_KEY`. Throws `ConfigError` naming both when neither is set.
 */
export function googleAuthFromEnv(opts: ServiceAccountOptions = {}): GoogleAuth {
  const json = env("GOOGLE_SERVICE_ACCOUNT_JSON");
  if (json) return serviceAccountAuth(parseServiceAccount(json), opts);
  const apiKey = env("GOOGLE_API_KEY");
  if (apiKey) return apiKeyAuth(apiKey);
  throw new ConfigError(
    "set GOOGLE_SERVICE_ACCOUNT_JSON or GOOGLE_API_KEY to read sheets through the Sheets API",
  );
}
