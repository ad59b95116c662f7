/**
 * Test-side signing for HighLevel deliveries: a fresh Ed25519 and RSA key pair per signer, signing
 * raw bodies the way HighLevel does, so tests (unit and integration) never need HighLevel's
 * private keys.
 */

import { toBase64, utf8 } from "../../crypto/encoding.ts";
import type { GhlKeys } from "./ghl-signature.ts";

/** Test key pairs plus helpers that sign a body into HighLevel's headers. */
export interface GhlTestSigner {
  /** The public keys, ready for `verifyGhlSignature`. */
  keys: GhlKeys;
  /** SPKI PEMs of the public keys, for `importGhlKeys` or the `GHL_*_PUBLIC_KEY` variables. */
  pems: { ed25519Pem: string; rsaPem: string };
  /** Base64 Ed25519 signature of the body (the `X-GHL-Signature` value). */
  signEd25519(body: string | Uint8Array): Promise<string>;
  /** Base64 RSASSA-PKCS1-v1_5 SHA-256 signature of the body (the `X-WH-Signature` value). */
  signRsa(body: string | Uint8Array): Promise<string>;
  /** Headers as HighLevel sends them; by default both signatures, as during the transition. */
  headers(body: string | Uint8Array, which?: { ed25519?: boolean; rsa?: boolean }): Promise<Headers>;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * Generates the key pairs. RSA is 2048-bit to keep tests fast (HighLevel's is 4096-bit; the
 * verifier reads the size from the key).
 */
export async function createGhlTestSigner(): Promise<GhlTestSigner> {
  const ed =
    (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const rsa = (await crypto.subtle.generateKey(
    { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;

  const bytes = (body: string | Uint8Array) => (typeof body === "string" ? utf8(body) : new Uint8Array(body));
  const signEd25519 = async (body: string | Uint8Array) =>
    toBase64(new Uint8Array(await crypto.subtle.sign("Ed25519", ed.privateKey, bytes(body))));
  const signRsa = async (body: string | Uint8Array) =>
    toBase64(new Uint8Array(await crypto.subtle.sign(RSA, rsa.privateKey, bytes(body))));

  return {
    keys: { ed25519: ed.publicKey, rsa: rsa.publicKey },
    pems: { ed25519Pem: await spkiPem(ed.publicKey), rsaPem: await spkiPem(rsa.publicKey) },
    signEd25519,
    signRsa,
    async headers(body, which = { ed25519: true, rsa: true }) {
      const headers = new Headers({ "content-type": "application/json" });
      if (which.ed25519) headers.set("X-GHL-Signature", await signEd25519(body));
      if (which.rsa) headers.set("X-WH-Signature", await signRsa(body));
      return headers;
    },
  };
}

async function spkiPem(key: CryptoKey): Promise<string> {
  const b64 = toBase64(new Uint8Array(await crypto.subtle.exportKey("spki", key)));
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}
