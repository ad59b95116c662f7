/**
 * Verifies HighLevel marketplace-app webhook signatures (sources.md 3.1).
 *
 * HighLevel signs the raw body only (no timestamp): `X-GHL-Signature` is base64 Ed25519, and the
 * retiring `X-WH-Signature` is base64 RSASSA-PKCS1-v1_5 over SHA-256. We verify the bytes as
 * received, never a re-serialised JSON, because any re-encoding can change them.
 */

import { fromBase64 } from "../../crypto/encoding.ts";
import { ConfigError, SignatureError } from "../../errors.ts";
import { GHL_ED25519_PUBLIC_KEY_PEM, GHL_RSA_PUBLIC_KEY_PEM } from "./ghl-public-keys.ts";

/** Which header's signature checked out. */
export type GhlSignatureScheme = "ed25519" | "rsa";

/** The two public keys a delivery can be checked against. */
export interface GhlKeys {
  ed25519: CryptoKey;
  rsa: CryptoKey;
}

const ED25519 = { name: "Ed25519" } as const;
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Checks a marketplace delivery's signature and says which one passed.
 *
 * A header that is missing, empty or `N/A` counts as absent. When both headers are present either
 * may pass, so deliveries keep verifying while HighLevel retires the RSA header.
 *
 * @throws SignatureError when neither header is present or none verifies (with a one-line reason).
 * @throws ConfigError when a key is not of the algorithm its slot needs.
 * @example
 *   const keys = await importGhlKeys({ ed25519Pem: env("GHL_ED25519_PUBLIC_KEY") });
 *   const scheme = await verifyGhlSignature({ headers: req.headers, body: rawBytes, keys });
 */
export async function verifyGhlSignature(input: {
  headers: Headers;
  body: Uint8Array;
  keys: GhlKeys;
}): Promise<GhlSignatureScheme> {
  const { headers, keys } = input;
  assertAlgorithm(keys.ed25519, ED25519.name, "the Ed25519 key");
  assertAlgorithm(keys.rsa, RSA.name, "the RSA key");

  const edSignature = signatureHeader(headers, "X-GHL-Signature");
  const rsaSignature = signatureHeader(headers, "X-WH-Signature");
  if (edSignature === null && rsaSignature === null) {
    throw new SignatureError("no X-GHL-Signature or X-WH-Signature header");
  }

  // A copy is backed by a plain ArrayBuffer, which is what WebCrypto accepts on both runtimes.
  const body = new Uint8Array(input.body);
  const failures: string[] = [];
  if (edSignature !== null) {
    const failure = await check(
      "X-GHL-Signature",
      edSignature,
      ED25519_SIGNATURE_BYTES,
      ED25519,
      keys.ed25519,
      body,
    );
    if (failure === null) return "ed25519";
    failures.push(failure);
  }
  if (rsaSignature !== null) {
    const modulusBits = (keys.rsa.algorithm as RsaHashedKeyAlgorithm).modulusLength;
    const failure = await check("X-WH-Signature", rsaSignature, modulusBits / 8, RSA, keys.rsa, body);
    if (failure === null) return "rsa";
    failures.push(failure);
  }
  throw new SignatureError(failures.join("; "));
}

/**
 * Imports the public keys from SPKI PEMs, defaulting to HighLevel's published keys.
 *
 * Tolerates PEMs pasted into environment variables: surrounding quotes, `\n` written as two
 * characters, and a bare base64 body without the BEGIN/END lines.
 *
 * @throws ConfigError (one line, naming the variable, never its value) when a PEM is not a public
 *   key of the expected type.
 */
export async function importGhlKeys(
  pems: { ed25519Pem?: string; rsaPem?: string } = {},
): Promise<GhlKeys> {
  const [ed25519, rsa] = await Promise.all([
    importSpki(pems.ed25519Pem ?? GHL_ED25519_PUBLIC_KEY_PEM, "GHL_ED25519_PUBLIC_KEY", ED25519, "Ed25519"),
    importSpki(pems.rsaPem ?? GHL_RSA_PUBLIC_KEY_PEM, "GHL_RSA_PUBLIC_KEY", RSA, "RSA"),
  ]);
  return { ed25519, rsa };
}

/** The header's value, or `null` when it is missing, empty or HighLevel's `N/A` placeholder. */
function signatureHeader(headers: Headers, name: string): string | null {
  const value = headers.get(name)?.trim() ?? "";
  return value === "" || value.toUpperCase() === "N/A" ? null : value;
}

/** `null` when the signature verifies, else a short reason. */
async function check(
  header: string,
  value: string,
  expectedBytes: number,
  algorithm: typeof ED25519 | typeof RSA,
  key: CryptoKey,
  body: Uint8Array<ArrayBuffer>,
): Promise<string | null> {
  const signature = fromBase64(value);
  if (signature === null) return `${header} is not base64`;
  // Checked here so a truncated or padded signature is a clean rejection on every runtime,
  // whatever each WebCrypto does with a wrong-sized input.
  if (signature.length !== expectedBytes) {
    return `${header} has ${signature.length} bytes, expected ${expectedBytes}`;
  }
  try {
    const ok = await crypto.subtle.verify(algorithm, key, signature, body);
    return ok ? null : `${header} does not match the body`;
  } catch {
    return `${header} could not be checked`;
  }
}

function assertAlgorithm(key: CryptoKey, name: string, what: string): void {
  if (key.algorithm.name !== name) {
    throw new ConfigError(`${what} must be an ${name} key, got ${key.algorithm.name}`);
  }
}

async function importSpki(
  pem: string,
  variable: string,
  algorithm: typeof ED25519 | typeof RSA,
  label: string,
): Promise<CryptoKey> {
  const der = pemToDer(pem, variable);
  try {
    return await crypto.subtle.importKey("spki", der, algorithm, false, ["verify"]);
  } catch {
    const other = algorithm === ED25519 ? RSA : ED25519;
    const isOther = await crypto.subtle.importKey("spki", der, other, false, ["verify"]).then(
      () => true,
      () => false,
    );
    const found = isOther ? ` (it holds ${other === RSA ? "an RSA" : "an Ed25519"} key)` : "";
    throw new ConfigError(`${variable} is not an ${label} public key${found}`);
  }
}

/** DER bytes of an SPKI PEM as found in an environment variable. */
function pemToDer(pem: string, variable: string): Uint8Array<ArrayBuffer> {
  const text = pem.trim().replace(/^["']|["']$/g, "").replace(/\\r/g, "").replace(/\\n/g, "\n");
  if (text.includes("PRIVATE KEY-----")) {
    throw new ConfigError(`${variable} holds a private key; give the public key (BEGIN PUBLIC KEY)`);
  }
  if (text.includes("BEGIN RSA PUBLIC KEY")) {
    throw new ConfigError(`${variable} is a PKCS#1 key; give the SPKI form (BEGIN PUBLIC KEY)`);
  }
  const armored = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(text);
  if (!armored && text.includes("-----")) {
    throw new ConfigError(`${variable} is not a PEM public key (BEGIN PUBLIC KEY)`);
  }
  const der = fromBase64((armored ? armored[1] : text).replace(/\s+/g, ""));
  if (der === null || der.length === 0) {
    throw new ConfigError(`${variable} is not a PEM public key (its body is not base64)`);
  }
  return der;
}
