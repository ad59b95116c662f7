import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import { parseWhopEvent } from "./parse-whop-event.ts";

const V1 = {
  id: "msg_2f8Zq0b5lqK1xYkTn7sR3vWc",
  api_version: "v1",
  api_version_date: "2026-07-20",
  timestamp: "2026-07-22T14:09:51.512Z",
  type: "payment.succeeded",
  company_id: "biz_1",
  data: { id: "pay_1", total: 49.0, created_at: "2026-07-22T14:03:05.401Z" },
};

function payloadError(body: string): string {
  try {
    parseWhopEvent(body);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return (error as PayloadError).message;
  }
  throw new Error("expected a PayloadError");
}

describe("parseWhopEvent", () => {
  it("normalises a v1 envelope and leaves data exactly as sent", () => {
    const event = parseWhopEvent(JSON.stringify(V1));
    expect(event).toEqual({
      deliveryId: "msg_2f8Zq0b5lqK1xYkTn7sR3vWc",
      type: "payment.succeeded",
      sentAt: new Date("2026-07-22T14:09:51.512Z"),
      data: { id: "pay_1", total: 49, created_at: "2026-07-22T14:03:05.401Z" },
      version: "v1",
      companyId: "biz_1",
    });
  });

  it("takes the company from account_id when a later pin sends that instead", () => {
    const { company_id: _, ...rest } = V1;
    expect(parseWhopEvent(JSON.stringify({ ...rest, account_id: "biz_2" })).companyId).toBe("biz_2");
  });

  it("accepts a v1 envelope without id or timestamp, leaving them unknown", () => {
    const event = parseWhopEvent(JSON.stringify({ type: "membership.activated", data: { id: "mem_1" } }));
    expect(event.deliveryId).toBeUndefined();
    expect(event.sentAt).toBeNull();
    expect(event.version).toBe("v1");
  });

  it("normalises a legacy v5 envelope, with or without api_version", () => {
    const data = { id: "pay_2", created_at: 1675816599, final_amount: 2 };
    for (
      const envelope of [{ action: "payment.succeeded", api_version: "v5", data }, {
        action: "payment.succeeded",
        data,
      }]
    ) {
      expect(parseWhopEvent(JSON.stringify(envelope))).toEqual({
        type: "payment.succeeded",
        sentAt: null,
        data,
        version: "v5",
      });
    }
  });

  it("tolerates a UTF-8 byte-order mark before the JSON", () => {
    expect(parseWhopEvent(`\uFEFF${JSON.stringify(V1)}`).type).toBe("payment.succeeded");
  });

  it("refuses invalid JSON, non-objects and unknown envelopes with a one-line reason", () => {
    expect(payloadError("{not json")).toMatch(/^invalid JSON: /);
    expect(payloadError("[1,2]")).toBe("body is not a JSON object");
    expect(payloadError("null")).toBe("body is not a JSON object");
    expect(payloadError('{"event":"x","data":{}}')).toBe(
      "unknown envelope: neither `type` (v1) nor `action` (v5)",
    );
  });

  it("refuses an envelope whose fields have the wrong shape, naming the field", () => {
    expect(payloadError(JSON.stringify({ ...V1, data: "pay_1" }))).toMatch(/^invalid v1 envelope: data: /);
    expect(payloadError(JSON.stringify({ ...V1, timestamp: "yesterday" }))).toMatch(
      /^invalid v1 envelope: timestamp: not a timestamp/,
    );
    expect(payloadError(JSON.stringify({ action: 5, data: {} }))).toMatch(
      /^invalid legacy envelope: action: /,
    );
  });
});
