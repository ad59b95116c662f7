import { describe, expect, it } from "vitest";
import { hmacSha256, toHex, utf8 } from "../../crypto/encoding.ts";
import { ConfigError, SignatureError } from "../../errors.ts";
import { signWhopLegacySignature, verifyWhopLegacySignature } from "./legacy-signature.ts";

const SECRET = "legacy_secret_8c1f0e";
const BODY = '{"action":"payment.succeeded","api_version":"v5","data":{"id":"pay_1"}}';
const T = 1675816600;
const NOW = new Date(T * 1000);

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).reason;
  }
  throw new Error("expected a SignatureError");
}

describe("verifyWhopLegacySignature", () => {
  it("accepts hex HMAC-SHA256 of `<t>.<raw body>` under the secret's UTF-8 bytes", async () => {
    // Computed independently of the signer, as Whop's old SDK does it.
    const hex = toHex(await hmacSha256(utf8(SECRET), utf8(`${T}.${BODY}`)));
    const result = await verifyWhopLegacySignature({
      header: `t=${T},v1=${hex}`,
      body: BODY,
      secret: SECRET,
      now: NOW,
    });
    expect(result.timestamp).toEqual(NOW);
  });

  it("produces the header the verifier accepts, from bytes or text alike", async () => {
    const header = await signWhopLegacySignature({ body: utf8(BODY), secret: SECRET, timestamp: NOW });
    expect(header).toMatch(/^t=1675816600,v1=[0-9a-f]{64}$/);
    await expect(verifyWhopLegacySignature({ header, body: BODY, secret: SECRET, now: NOW })).resolves
      .toBeTruthy();
  });

  it("accepts upper-case hex and extra unknown header parts", async () => {
    const header = await signWhopLegacySignature({ body: BODY, secret: SECRET, timestamp: T });
    const [t, v1] = header.split(",");
    const shouted = `${t}, ${v1.toUpperCase().replace("V1=", "v1=")}, v2=whatever`;
    await expect(verifyWhopLegacySignature({ header: shouted, body: BODY, secret: SECRET, now: NOW }))
      .resolves
      .toBeTruthy();
  });

  it("refuses a changed body, another secret, and a header that is missing or malformed", async () => {
    const header = await signWhopLegacySignature({ body: BODY, secret: SECRET, timestamp: T });
    expect(await reason(verifyWhopLegacySignature({ header, body: `${BODY} `, secret: SECRET, now: NOW })))
      .toBe("no matching signature");
    expect(await reason(verifyWhopLegacySignature({ header, body: BODY, secret: "other", now: NOW })))
      .toBe("no matching signature");
    expect(await reason(verifyWhopLegacySignature({ header: null, body: BODY, secret: SECRET, now: NOW })))
      .toBe("missing header x-whop-signature");
    expect(
      await reason(verifyWhopLegacySignature({ header: "v1=abc", body: BODY, secret: SECRET, now: NOW })),
    )
      .toBe("malformed x-whop-signature: no t=");
    expect(
      await reason(verifyWhopLegacySignature({ header: `t=${T}`, body: BODY, secret: SECRET, now: NOW })),
    )
      .toBe("malformed x-whop-signature: no v1=");
  });

  it("refuses a timestamp more than 300 s away in either direction", async () => {
    const header = await signWhopLegacySignature({ body: BODY, secret: SECRET, timestamp: T });
    for (const offset of [-300, 300]) {
      await expect(
        verifyWhopLegacySignature({ header, body: BODY, secret: SECRET, now: new Date((T + offset) * 1000) }),
      ).resolves.toBeTruthy();
    }
    for (const offset of [-301, 301]) {
      expect(
        await reason(
          verifyWhopLegacySignature({
            header,
            body: BODY,
            secret: SECRET,
            now: new Date((T + offset) * 1000),
          }),
        ),
      ).toBe("timestamp outside the 300 s tolerance");
    }
  });

  it("treats an empty secret as configuration", async () => {
    await expect(verifyWhopLegacySignature({ header: "t=1,v1=aa", body: BODY, secret: "" })).rejects
      .toBeInstanceOf(ConfigError);
  });
});
