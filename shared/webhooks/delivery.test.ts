import { describe, expect, it } from "vitest";
import { isVerbatim, jsonObject, readDelivery } from "./delivery.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("readDelivery", () => {
  it("parses a JSON body once and stores it as sent", () => {
    const d = readDelivery(bytes('{"type":"payment.succeeded","data":{"id":"pay_1"}}'));
    expect(d.json).toEqual({ type: "payment.succeeded", data: { id: "pay_1" } });
    expect(d.stored).toBe(d.text);
    expect(isVerbatim(JSON.parse(d.stored))).toBe(false);
  });

  it("reads numbers a double cannot hold as a JSON round trip would leave them", () => {
    const d = readDelivery(bytes('{"total":1e999999999,"refund":-0,"tiny":1e-400,"n":[1.5]}'));
    expect(d.json).toEqual({ total: null, refund: 0, tiny: 0, n: [1.5] });
    expect(Object.is((d.json as { refund: number }).refund, -0)).toBe(false);
  });

  it("keeps a body that is not JSON as its text", () => {
    const d = readDelivery(bytes("name=Ada&email=ada@example.com"));
    expect(d.json).toBeUndefined();
    expect(JSON.parse(d.stored)).toEqual({ unparsed: "name=Ada&email=ada@example.com" });
  });

  it("keeps invalid UTF-8 and absurd nesting as the exact bytes", () => {
    const invalid = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]);
    const d = readDelivery(invalid);
    expect(d.json).toBeUndefined();
    expect(atob(JSON.parse(d.stored).unparsed_base64)).toBe(String.fromCharCode(...invalid));
    const deep = readDelivery(bytes("[".repeat(1001) + "]".repeat(1001)));
    expect(deep.json).toBeUndefined();
    expect(isVerbatim(JSON.parse(deep.stored))).toBe(true);
  });

  it("reads envelope fields only from a JSON object", () => {
    expect(jsonObject({ type: "x" })).toEqual({ type: "x" });
    expect(jsonObject([1])).toEqual({});
    expect(jsonObject(null)).toEqual({});
    expect(jsonObject(undefined)).toEqual({});
  });
});
