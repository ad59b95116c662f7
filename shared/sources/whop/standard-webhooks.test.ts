import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { utf8 } from "../../crypto/encoding.ts";
import { ConfigError, SignatureError } from "../../errors.ts";
import { signStandardWebhook, verifyStandardWebhook } from "./standard-webhooks.ts";

// The published Standard Webhooks test vector (reference libraries' tests).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const VECTOR_NOW = new Date(VECTOR.timestamp * 1000);
const WHOP_SECRET = "ws_4f1c2b9e0d7a6c5b4a3f2e1d0c9b8a7f";

function vectorHeaders(overrides: Record<string, string | null> = {}): Headers {
  const headers = new Headers({
    "webhook-id": VECTOR.id,
    "webhook-timestamp": String(VECTOR.timestamp),
    "webhook-signature": VECTOR.signature,
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return headers;
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).reason;
  }
  throw new Error("expected a SignatureError");
}

describe("verifyStandardWebhook", () => {
  it("accepts the published Standard Webhooks test vector", async () => {
    const verified = await verifyStandardWebhook({
      headers: vectorHeaders(),
      body: utf8(VECTOR.body),
      secret: VECTOR.secret,
      now: VECTOR_NOW,
    });
    expect(verified).toEqual({ id: VECTOR.id, timestamp: VECTOR_NOW });
  });

  it("signs the test vector exactly as the reference implementation does", async () => {
    const headers = await signStandardWebhook({ ...VECTOR });
    expect(headers["webhook-signature"]).toBe(VECTOR.signature);
    expect(headers["webhook-timestamp"]).toBe("1614265330");
  });

  it("uses a ws_ secret's own UTF-8 bytes as the key, as Whop's btoa(secret) round trip does", async () => {
    const body = '{"type":"payment.succeeded"}';
    const asWhopSigns = await signStandardWebhook({
      id: "msg_1",
      timestamp: VECTOR.timestamp,
      body,
      secret: `whsec_${btoa(WHOP_SECRET)}`,
    });
    const verified = await verifyStandardWebhook({
      headers: new Headers(asWhopSigns),
      body: utf8(body),
      secret: WHOP_SECRET,
      now: VECTOR_NOW,
    });
    expect(verified.id).toBe("msg_1");
  });

  it("refuses a ws_ signature made with the prefix stripped or the rest base64-decoded", async () => {
    const body = "{}";
    for (const wrongKey of [`whsec_${WHOP_SECRET.slice(3)}`, WHOP_SECRET.slice(3)]) {
      const headers = await signStandardWebhook({
        id: "msg_1",
        timestamp: VECTOR.timestamp,
        body,
        secret: wrongKey,
      });
      expect(
        await reason(
          verifyStandardWebhook({
            headers: new Headers(headers),
            body: utf8(body),
            secret: WHOP_SECRET,
            now: VECTOR_NOW,
          }),
        ),
      ).toBe("no matching signature");
    }
  });

  it("signs the raw bytes, so a body that is not valid UTF-8 still verifies byte for byte", async () => {
    const body = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const headers = await signStandardWebhook({
      id: "msg_b",
      timestamp: VECTOR.timestamp,
      body,
      secret: WHOP_SECRET,
    });
    await expect(
      verifyStandardWebhook({ headers: new Headers(headers), body, secret: WHOP_SECRET, now: VECTOR_NOW }),
    ).resolves.toMatchObject({ id: "msg_b" });
    const reencoded = utf8(new TextDecoder().decode(body));
    expect(
      await reason(
        verifyStandardWebhook({
          headers: new Headers(headers),
          body: reencoded,
          secret: WHOP_SECRET,
          now: VECTOR_NOW,
        }),
      ),
    ).toBe("no matching signature");
  });

  it("passes when any one of several space-separated signatures matches (key rotation)", async () => {
    const headers = vectorHeaders({
      "webhook-signature": `v1a,c2lnbmF0dXJl v1,${
        btoa("old-key-signature-32-bytes-long!")
      } ${VECTOR.signature}`,
    });
    await expect(
      verifyStandardWebhook({ headers, body: utf8(VECTOR.body), secret: VECTOR.secret, now: VECTOR_NOW }),
    ).resolves.toMatchObject({ id: VECTOR.id });
  });

  it("names every missing header", async () => {
    const headers = vectorHeaders({ "webhook-id": null, "webhook-signature": null });
    expect(
      await reason(
        verifyStandardWebhook({ headers, body: utf8(VECTOR.body), secret: VECTOR.secret, now: VECTOR_NOW }),
      ),
    ).toBe("missing header webhook-id, webhook-signature");
  });

  it("accepts exactly the 300 s tolerance in both directions and refuses one second more", async () => {
    const body = utf8(VECTOR.body);
    for (const offset of [-300, 300]) {
      const now = new Date((VECTOR.timestamp + offset) * 1000);
      await expect(verifyStandardWebhook({ headers: vectorHeaders(), body, secret: VECTOR.secret, now }))
        .resolves
        .toBeTruthy();
    }
    for (const offset of [-301, 301]) {
      const now = new Date((VECTOR.timestamp + offset) * 1000);
      expect(
        await reason(verifyStandardWebhook({ headers: vectorHeaders(), body, secret: VECTOR.secret, now })),
      )
        .toBe("timestamp outside the 300 s tolerance");
    }
  });

  it("honours a custom tolerance", async () => {
    const now = new Date((VECTOR.timestamp + 61) * 1000);
    expect(
      await reason(
        verifyStandardWebhook({
          headers: vectorHeaders(),
          body: utf8(VECTOR.body),
          secret: VECTOR.secret,
          now,
          toleranceSeconds: 60,
        }),
      ),
    ).toBe("timestamp outside the 60 s tolerance");
  });

  it("refuses malformed timestamps and signature headers with a reason", async () => {
    const verify = (overrides: Record<string, string>) =>
      reason(
        verifyStandardWebhook({
          headers: vectorHeaders(overrides),
          body: utf8(VECTOR.body),
          secret: VECTOR.secret,
          now: VECTOR_NOW,
        }),
      );
    expect(await verify({ "webhook-timestamp": "1614265330.5" })).toBe("malformed webhook-timestamp");
    expect(await verify({ "webhook-timestamp": "yesterday" })).toBe("malformed webhook-timestamp");
    expect(await verify({ "webhook-signature": "g0hM9SsE+OTPJTGt" })).toBe(
      "malformed webhook-signature: no v1 entry",
    );
    expect(await verify({ "webhook-signature": "v1,***" })).toBe("malformed webhook-signature: no v1 entry");
  });

  it("refuses a body changed after signing", async () => {
    expect(
      await reason(
        verifyStandardWebhook({
          headers: vectorHeaders(),
          body: utf8('{"test": 2432232315}'),
          secret: VECTOR.secret,
          now: VECTOR_NOW,
        }),
      ),
    ).toBe("no matching signature");
  });

  it("treats an empty or undecodable whsec_ secret as configuration, not as a bad request", async () => {
    for (const secret of ["", "whsec_", "whsec_***"]) {
      await expect(
        verifyStandardWebhook({ headers: vectorHeaders(), body: utf8(VECTOR.body), secret, now: VECTOR_NOW }),
      ).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it("verifies whatever it signs, and nothing signed under another secret", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.startsWith("whsec_")),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.startsWith("whsec_")),
        async (body, secret, other) => {
          const headers = new Headers(
            await signStandardWebhook({ id: "msg_p", timestamp: VECTOR_NOW, body, secret }),
          );
          await verifyStandardWebhook({ headers, body, secret, now: VECTOR_NOW });
          if (other !== secret) {
            await expect(verifyStandardWebhook({ headers, body, secret: other, now: VECTOR_NOW })).rejects
              .toBeInstanceOf(SignatureError);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
