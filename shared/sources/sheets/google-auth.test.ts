import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, UpstreamError } from "../../errors.ts";
import { makeServiceAccount, startGoogleDouble } from "../../../tests/fixtures/sheets/google-doubles.ts";
import { apiKeyAuth, googleAuthFromEnv, parseServiceAccount, serviceAccountAuth } from "./google-auth.ts";

let keys: Awaited<ReturnType<typeof makeServiceAccount>>;
let double: Awaited<ReturnType<typeof startGoogleDouble>>;

beforeAll(async () => {
  keys = await makeServiceAccount();
  double = await startGoogleDouble({
    publicKey: keys.publicKey,
    clientEmail: keys.account.client_email,
    tabs: {},
  });
});
afterAll(() => double.close());

async function bearer(auth: ReturnType<typeof serviceAccountAuth>): Promise<string | null> {
  const headers = new Headers();
  await auth.authorize(new URL("http://x"), headers);
  return headers.get("authorization");
}

describe("serviceAccountAuth", () => {
  it("exchanges an RS256 JWT the token endpoint verifies with the key's public half", async () => {
    const before = double.stats.tokenRequests;
    const auth = serviceAccountAuth(keys.account, { tokenUrl: double.tokenUrl });
    expect(await bearer(auth)).toMatch(/^Bearer ya29\.test-\d+$/);
    expect(double.stats.tokenRequests).toBe(before + 1);
    expect(auth.description).toBe(`service account ${keys.account.client_email}`);
  });

  it("reuses the token until five minutes before it expires, then fetches a new one", async () => {
    let clock = Date.UTC(2024, 2, 4, 10, 0, 0);
    const auth = serviceAccountAuth(keys.account, { tokenUrl: double.tokenUrl, now: () => clock });
    const before = double.stats.tokenRequests;
    const first = await bearer(auth);
    clock += 54 * 60_000;
    expect(await bearer(auth)).toBe(first);
    expect(double.stats.tokenRequests).toBe(before + 1);
    clock += 2 * 60_000;
    expect(await bearer(auth)).not.toBe(first);
    expect(double.stats.tokenRequests).toBe(before + 2);
  });

  it("asks for one token when many requests need it at once", async () => {
    const auth = serviceAccountAuth(keys.account, { tokenUrl: double.tokenUrl });
    const before = double.stats.tokenRequests;
    const tokens = await Promise.all([bearer(auth), bearer(auth), bearer(auth)]);
    expect(new Set(tokens).size).toBe(1);
    expect(double.stats.tokenRequests).toBe(before + 1);
  });

  it("fetches a new token after invalidate", async () => {
    const auth = serviceAccountAuth(keys.account, { tokenUrl: double.tokenUrl });
    const first = await bearer(auth);
    auth.invalidate();
    expect(await bearer(auth)).not.toBe(first);
  });

  it("restores literal \\n sequences in a key pasted into an environment variable", async () => {
    const flattened = { ...keys.account, private_key: keys.account.private_key.replace(/\n/g, "\\n") };
    expect(flattened.private_key).not.toContain("\n");
    expect(await bearer(serviceAccountAuth(flattened, { tokenUrl: double.tokenUrl }))).toMatch(/^Bearer /);
  });

  it("reports a refused JWT in one line with Google's reason and a hint", async () => {
    const other = await makeServiceAccount(keys.account.client_email);
    const auth = serviceAccountAuth(other.account, { tokenUrl: double.tokenUrl });
    const error = await bearer(auth).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe(
      "Google refused the service account's token request: invalid_grant (Invalid JWT: Invalid JWT Signature.); check the server clock and that the key is active",
    );
    expect(double.stats.rejectedJwt).toContain("Invalid JWT Signature.");
  });

  it("refuses a PKCS#1 key with the command that converts it", async () => {
    const pkcs1 = {
      ...keys.account,
      private_key: "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
    };
    const error = await bearer(serviceAccountAuth(pkcs1, { tokenUrl: double.tokenUrl })).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("openssl pkcs8 -topk8 -nocrypt");
  });
});

describe("parseServiceAccount", () => {
  it("reads the key file as JSON or as base64 of the JSON", () => {
    const json = JSON.stringify({ type: "service_account", ...keys.account });
    expect(parseServiceAccount(json)).toEqual(keys.account);
    expect(parseServiceAccount(btoa(json))).toEqual(keys.account);
  });

  it("names the variable but never echoes its content", () => {
    const error = (() => {
      try {
        parseServiceAccount("{secret-material");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain("GOOGLE_SERVICE_ACCOUNT_JSON");
    expect(error!.message).not.toContain("secret-material");
    expect(() => parseServiceAccount('{"client_email":"a"}')).toThrow("lacks client_email or private_key");
  });
});

describe("apiKeyAuth and googleAuthFromEnv", () => {
  it("puts an API key in the key= query parameter", async () => {
    const url = new URL("https://sheets.example/v4/x");
    const headers = new Headers();
    await apiKeyAuth("AIza-test").authorize(url, headers);
    expect(url.searchParams.get("key")).toBe("AIza-test");
    expect(headers.has("authorization")).toBe(false);
  });

  it("prefers the service account, falls back to the API key, and names both when neither is set", () => {
    const saved = { json: process.env.GOOGLE_SERVICE_ACCOUNT_JSON, key: process.env.GOOGLE_API_KEY };
    try {
      delete process.env.GOOGLE_SERVICE_ACCOUNT_JSON;
      delete process.env.GOOGLE_API_KEY;
      expect(() => googleAuthFromEnv()).toThrow(ConfigError);
      process.env.GOOGLE_API_KEY = "AIza-test";
      expect(googleAuthFromEnv().description).toBe("API key");
      process.env.GOOGLE_SERVICE_ACCOUNT_JSON = JSON.stringify(keys.account);
      expect(googleAuthFromEnv().description).toBe(`service account ${keys.account.client_email}`);
    } finally {
      for (
        const [name, value] of [["GOOGLE_SERVICE_ACCOUNT_JSON", saved.json], [
          "GOOGLE_API_KEY",
          saved.key,
        ]] as const
      ) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
