import { describe, expect, it } from "vitest";
import { readDelivery } from "../../webhooks/delivery.ts";
import { utf8 } from "../../crypto/encoding.ts";
import { electiveWebhookSource, verifySharedSecret } from "./webhook-source.ts";

const source = electiveWebhookSource({ secret: () => "s3cret" });
const deliver = (body: string, init: { header?: string; query?: string } = {}) => {
  const url = `http://x/elective-webhook${init.query ? `?secret=${init.query}` : ""}`;
  const headers = init.header ? { "x-webhook-secret": init.header } : undefined;
  return source.authenticate(new Request(url, { method: "POST", headers }), readDelivery(utf8(body)));
};

describe("electiveWebhookSource.authenticate", () => {
  it("takes the secret from the header or the query, and refuses a wrong, missing or unset one", async () => {
    const body = '{"event":"order_completed","order_id":"o1","order_total":"5"}';
    const byHeader = await deliver(body, { header: "s3cret" });
    expect(byHeader).toEqual({
      eventId: expect.stringMatching(/^zap_[0-9a-f]{64}$/),
      eventType: "order_completed",
    });
    expect(await deliver(body, { query: "s3cret" })).toEqual(byHeader);
    await expect(deliver(body, { header: "nope" })).rejects.toThrow("secret does not match");
    await expect(deliver(body)).rejects.toThrow(/^missing secret/);
    expect(() => verifySharedSecret("x", "")).toThrow(/ELECTIVE_WEBHOOK_SECRET is not set/);
  });

  it("names a repeat alike however it is serialised, and an unreadable body by its bytes", async () => {
    const a = await deliver('{"event":"order_completed","order_id":"o1","order_total":"5"}', {
      header: "s3cret",
    });
    const b = await deliver('{ "order_total": "5.00", "order_id": "o1", "event": "order_completed" }', {
      header: "s3cret",
    });
    expect(b.eventId).toBe(a.eventId);
    const bad = await deliver("[1]", { header: "s3cret" });
    expect(bad).toEqual({ eventId: expect.stringMatching(/^zap_body_/), eventType: null });
  });
});
