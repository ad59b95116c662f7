import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../crypto/encoding.ts";
import { ConfigError, SignatureError } from "../../errors.ts";
import { GHL_ED25519_PUBLIC_KEY_PEM, GHL_RSA_PUBLIC_KEY_PEM } from "./ghl-public-keys.ts";
import { importGhlKeys, verifyGhlSignature } from "./ghl-signature.ts";
import { createGhlTestSigner, type GhlTestSigner } from "./ghl-signature.test-helpers.ts";

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../tests/fixtures/ghl/${name}.json`, import.meta.url)));

let signer: GhlTestSigner;
beforeAll(async () => {
  signer = await createGhlTestSigner();
});

async function rejection(promise: Promise<unknown>): Promise<SignatureError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SignatureError);
  return error as SignatureError;
}

describe("verifyGhlSignature", () => {
  it.each(["ContactCreate", "ContactUpdate", "ContactDelete", "ContactTagUpdate", "ContactDndUpdate"])(
    "accepts a %s fixture signed with Ed25519 over its raw bytes",
    async (name) => {
      const body = fixture(name);
      const headers = await signer.headers(body, { ed25519: true });
      expect(await verifyGhlSignature({ headers, body, keys: signer.keys })).toBe("ed25519");
    },
  );

  it("accepts an RSA-only delivery (X-WH-Signature) before the July 2026 switch", async () => {
    const body = fixture("ContactUpdate");
    const headers = await signer.headers(body, { rsa: true });
    expect(await verifyGhlSignature({ headers, body, keys: signer.keys })).toBe("rsa");
  });

  it("accepts when both headers are sent and only the RSA one verifies", async () => {
    const body = fixture("ContactCreate");
    const headers = await signer.headers(body);
    headers.set("X-GHL-Signature", await signer.signEd25519("a different body"));
    expect(await verifyGhlSignature({ headers, body, keys: signer.keys })).toBe("rsa");
  });

  it("prefers Ed25519 when both headers verify", async () => {
    const body = fixture("ContactCreate");
    const headers = await signer.headers(body);
    expect(await verifyGhlSignature({ headers, body, keys: signer.keys })).toBe("ed25519");
  });

  it("treats N/A as an absent header and falls back to the other one", async () => {
    const body = fixture("ContactCreate");
    const headers = await signer.headers(body, { rsa: true });
    headers.set("X-GHL-Signature", "N/A");
    expect(await verifyGhlSignature({ headers, body, keys: signer.keys })).toBe("rsa");
  });

  it("rejects a delivery with neither header (or only N/A placeholders)", async () => {
    const body = fixture("ContactCreate");
    const none = await rejection(verifyGhlSignature({ headers: new Headers(), body, keys: signer.keys }));
    expect(none.reason).toBe("no X-GHL-Signature or X-WH-Signature header");
    const placeholders = new Headers({ "X-GHL-Signature": "N/A", "X-WH-Signature": " n/a " });
    await rejection(verifyGhlSignature({ headers: placeholders, body, keys: signer.keys }));
  });

  it("rejects a body changed by one byte after signing", async () => {
    const body = fixture("ContactUpdate");
    const headers = await signer.headers(body);
    const tampered = new Uint8Array(body);
    tampered[tampered.length - 2] ^= 1;
    const error = await rejection(verifyGhlSignature({ headers, body: tampered, keys: signer.keys }));
    expect(error.reason).toBe(
      "X-GHL-Signature does not match the body; X-WH-Signature does not match the body",
    );
  });

  it("rejects a re-serialised JSON body, because only the raw bytes are signed", async () => {
    const body = fixture("ContactCreate");
    const headers = await signer.headers(body, { ed25519: true });
    const reserialised = utf8(JSON.stringify(JSON.parse(new TextDecoder().decode(body))));
    await rejection(verifyGhlSignature({ headers, body: reserialised, keys: signer.keys }));
  });

  it("rejects a signature made with another key pair", async () => {
    const other = await createGhlTestSigner();
    const body = fixture("ContactCreate");
    const headers = await other.headers(body);
    await rejection(verifyGhlSignature({ headers, body, keys: signer.keys }));
  });

  it("rejects malformed base64 with a reason instead of crashing", async () => {
    const body = fixture("ContactCreate");
    const headers = new Headers({ "X-GHL-Signature": "not base64!!", "X-WH-Signature": "%%%" });
    const error = await rejection(verifyGhlSignature({ headers, body, keys: signer.keys }));
    expect(error.reason).toBe("X-GHL-Signature is not base64; X-WH-Signature is not base64");
  });

  it("rejects a signature of the wrong length with a reason", async () => {
    const body = fixture("ContactCreate");
    const valid = await signer.headers(body);
    const headers = new Headers({
      "X-GHL-Signature": toBase64(new Uint8Array(63)),
      "X-WH-Signature": valid.get("X-WH-Signature")!.slice(0, 40),
    });
    const error = await rejection(verifyGhlSignature({ headers, body, keys: signer.keys }));
    expect(error.reason).toMatch(/^X-GHL-Signature has 63 bytes, expected 64; X-WH-Signature has 30 bytes/);
  });

  it("rejects any header value it is given, never throwing anything but SignatureError", async () => {
    const body = utf8('{"type":"ContactCreate"}');
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), async (ed, rsa) => {
        const headers = new Headers();
        // Headers refuses some characters outright; those never reach us from a real request.
        try {
          headers.set("X-GHL-Signature", ed);
          headers.set("X-WH-Signature", rsa);
        } catch {
          return;
        }
        await rejection(verifyGhlSignature({ headers, body, keys: signer.keys }));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses keys swapped between the Ed25519 and RSA slots as a configuration error", async () => {
    const body = fixture("ContactCreate");
    const headers = await signer.headers(body);
    const swapped = { ed25519: signer.keys.rsa, rsa: signer.keys.ed25519 };
    await expect(verifyGhlSignature({ headers, body, keys: swapped })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("importGhlKeys", () => {
  it("imports HighLevel's published keys by default", async () => {
    const keys = await importGhlKeys();
    expect(keys.ed25519.algorithm.name).toBe("Ed25519");
    expect(keys.rsa.algorithm.name).toBe("RSASSA-PKCS1-v1_5");
    expect((keys.rsa.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(4096);
  });

  it("imports PEMs whose newlines were escaped as \\n in an environment variable", async () => {
    const escaped = (pem: string) => `"${pem.trim().replace(/\n/g, "\\n")}"`;
    const keys = await importGhlKeys({
      ed25519Pem: escaped(signer.pems.ed25519Pem),
      rsaPem: escaped(signer.pems.rsaPem),
    });
    const body = fixture("ContactCreate");
    const headers = await signer.headers(body);
    expect(await verifyGhlSignature({ headers, body, keys })).toBe("ed25519");
    headers.delete("X-GHL-Signature");
    expect(await verifyGhlSignature({ headers, body, keys })).toBe("rsa");
  });

  it("imports a bare base64 key body without BEGIN/END lines", async () => {
    const bare = GHL_ED25519_PUBLIC_KEY_PEM.split("\n").slice(1, -1).join("");
    const keys = await importGhlKeys({ ed25519Pem: bare });
    expect(keys.ed25519.algorithm.name).toBe("Ed25519");
  });

  it("names the variable when an RSA PEM is given as the Ed25519 key", async () => {
    const error = await importGhlKeys({ ed25519Pem: GHL_RSA_PUBLIC_KEY_PEM }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "GHL_ED25519_PUBLIC_KEY is not an Ed25519 public key (it holds an RSA key)",
    );
  });

  it("names the variable when an Ed25519 PEM is given as the RSA key", async () => {
    await expect(importGhlKeys({ rsaPem: GHL_ED25519_PUBLIC_KEY_PEM })).rejects.toThrow(
      "GHL_RSA_PUBLIC_KEY is not an RSA public key (it holds an Ed25519 key)",
    );
  });

  it("refuses a private key without echoing it", async () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDEADBEEF\n-----END PRIVATE KEY-----";
    const error = (await importGhlKeys({ ed25519Pem: pem }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).not.toContain("DEADBEEF");
    expect(error.message).toContain("private key");
  });

  it("refuses a value that is not a PEM at all with a one-line reason", async () => {
    const error = (await importGhlKeys({ rsaPem: "changeme!" }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("GHL_RSA_PUBLIC_KEY is not a PEM public key (its body is not base64)");
  });
});
