import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import {
  parseWhop,
  whopEventEnvelope,
  whopLegacyEnvelope,
  whopMembership,
  whopPayment,
  whopRefund,
  whopTime,
  whopTimestamp,
} from "./schemas.ts";

describe("whopTimestamp", () => {
  it("reads ISO text, Unix seconds as a number and Unix seconds as text to the same instant", () => {
    const expected = new Date("2023-02-08T00:36:39.000Z");
    expect(whopTimestamp.parse("2023-02-08T00:36:39.000Z")).toEqual(expected);
    expect(whopTimestamp.parse(1675816599)).toEqual(expected);
    expect(whopTimestamp.parse("1675816599")).toEqual(expected);
  });

  it("reads Unix milliseconds as milliseconds rather than a date in the far future", () => {
    expect(whopTime(1675816599000)).toEqual(new Date("2023-02-08T00:36:39.000Z"));
  });

  it("rejects text that is not a date", () => {
    expect(whopTimestamp.safeParse("soon").success).toBe(false);
    expect(whopTimestamp.safeParse("").success).toBe(false);
    expect(whopTime("not a date")).toBeNull();
  });
});

describe("whopPayment", () => {
  it("keeps unknown fields and normalises money to decimal text and timestamps to dates", () => {
    const payment = whopPayment.parse({
      id: "pay_1",
      total: 49.0,
      usd_total: "49.00",
      created_at: "2026-07-22T14:03:05.401Z",
      paid_at: 1784729000,
      brand_new_field: { nested: true },
    });
    expect(payment.total).toBe("49");
    expect(payment.usd_total).toBe("49");
    expect(payment.created_at).toEqual(new Date("2026-07-22T14:03:05.401Z"));
    expect(payment.paid_at).toEqual(new Date(1784729000 * 1000));
    expect(payment.brand_new_field).toEqual({ nested: true });
  });

  it("tolerates null and missing optional fields, and related records given as bare ids", () => {
    const payment = whopPayment.parse({
      id: "pay_2",
      status: null,
      total: null,
      user: "user_1",
      membership: null,
      refunded_amount: undefined,
    });
    expect(payment.status).toBeNull();
    expect(payment.user).toBe("user_1");
    expect(payment.refunded_amount).toBeUndefined();
  });

  it("requires an id and rejects an amount that is not a number", () => {
    expect(whopPayment.safeParse({ total: 1 }).success).toBe(false);
    expect(whopPayment.safeParse({ id: "pay_3", total: "forty" }).success).toBe(false);
  });
});

describe("whopMembership and whopRefund", () => {
  it("accept the legacy v5 membership with `valid` and Unix timestamps", () => {
    const membership = whopMembership.parse({
      id: "mem_1",
      valid: true,
      status: "completed",
      created_at: 1675816599,
    });
    expect(membership.valid).toBe(true);
    expect(membership.created_at).toEqual(new Date(1675816599 * 1000));
  });

  it("accept a refund whose payment is nested, a bare id, or named by payment_id", () => {
    expect(whopRefund.parse({ id: "r1", amount: 10.43, payment: { id: "pay_1" } }).amount).toBe("10.43");
    expect(whopRefund.parse({ id: "r2", payment: "pay_2" }).payment).toBe("pay_2");
    expect(whopRefund.parse({ id: "r3", payment_id: "pay_3" }).payment_id).toBe("pay_3");
  });
});

describe("envelopes", () => {
  it("accept a v1 envelope with account_id instead of company_id, and keep unknown fields", () => {
    const envelope = whopEventEnvelope.parse({
      id: "msg_1",
      api_version: "v1",
      timestamp: "2026-08-20T00:00:00Z",
      type: "payment.created",
      account_id: "biz_1",
      data: { id: "pay_1" },
      extra: 1,
    });
    expect(envelope.account_id).toBe("biz_1");
    expect(envelope.extra).toBe(1);
  });

  it("require a type and an object as data", () => {
    expect(whopEventEnvelope.safeParse({ type: "", data: {} }).success).toBe(false);
    expect(whopEventEnvelope.safeParse({ type: "payment.created", data: [1] }).success).toBe(false);
    expect(whopLegacyEnvelope.safeParse({ action: "payment.succeeded" }).success).toBe(false);
  });
});

describe("parseWhop", () => {
  it("throws a PayloadError naming the first issue's path on one line, with all issues attached", () => {
    try {
      parseWhop(whopPayment, { id: "pay_1", total: "x", created_at: "never" }, "payment.succeeded data");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadError);
      expect((error as PayloadError).message).toMatch(
        /^invalid payment\.succeeded data: total: not an amount/,
      );
      expect((error as PayloadError).message).not.toContain("\n");
      expect((error as PayloadError).issues).toHaveLength(2);
    }
  });
});
