import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import type { WhopEvent } from "./parse-whop-event.ts";
import { whopEventToRecords, whopObjectKind, whopObjectToRecord } from "./map-whop-event.ts";

const SENT = new Date("2026-07-22T14:09:51.512Z");

function event(type: string, data: unknown, overrides: Partial<WhopEvent> = {}): WhopEvent {
  return { deliveryId: "msg_1", type, sentAt: SENT, data, version: "v1", ...overrides };
}

function only(mapped: ReturnType<typeof whopEventToRecords>) {
  expect(mapped.ignored).toBeUndefined();
  expect(mapped.records).toHaveLength(1);
  return mapped.records[0];
}

const PAYMENT = {
  id: "pay_1",
  status: "paid",
  currency: "usd",
  total: 49.0,
  usd_total: 49.0,
  refunded_amount: null,
  created_at: "2026-07-22T14:03:05.401Z",
  updated_at: "2026-07-22T14:03:10.118Z",
  paid_at: "2026-07-22T14:03:09.000Z",
  user: { id: "user_1", name: "John Doe", username: "johndoe", email: "john.doe@example.com" },
};

describe("whopEventToRecords: payments", () => {
  it("maps a paid payment to a revenue record with exact money and the whole object as raw", () => {
    const record = only(whopEventToRecords(event("payment.succeeded", PAYMENT)));
    expect(record).toEqual({
      key: "pay_1",
      scope: "payment",
      email: "john.doe@example.com",
      name: "John Doe",
      raw: PAYMENT,
      changedAt: new Date("2026-07-22T14:03:10.118Z"),
      rank: 6,
      amount: "49",
      currency: "USD",
      amountUsd: "49",
      refunded: "0",
      revenue: true,
      date: new Date("2026-07-22T14:03:09.000Z"),
    });
    expect(record.raw).toBe(PAYMENT);
  });

  it("counts only a paid payment as revenue", () => {
    for (const status of ["open", "pending", "void", "uncollectible", "draft"]) {
      expect(only(whopEventToRecords(event("payment.failed", { ...PAYMENT, status }))).revenue).toBe(false);
    }
  });

  it("treats a payment.succeeded without a status as a sale, and any other type without one as not", () => {
    const unstated = { ...PAYMENT, status: null };
    expect(only(whopEventToRecords(event("payment.succeeded", unstated))).revenue).toBe(true);
    expect(only(whopEventToRecords(event("payment.created", unstated))).revenue).toBe(false);
  });

  it("falls back to the username for the name, and to null email when Whop withholds it", () => {
    const record = only(
      whopEventToRecords(
        event("payment.pending", { ...PAYMENT, user: { id: "u", name: " ", username: "lee", email: null } }),
      ),
    );
    expect(record.name).toBe("lee");
    expect(record.email).toBeNull();
  });

  it("knows no person when the user is a bare id (pin 2026-09-15)", () => {
    const record = only(whopEventToRecords(event("payment.succeeded", { ...PAYMENT, user: "user_1" })));
    expect([record.email, record.name]).toEqual([null, null]);
  });

  it("dates a payment by its creation when it was never paid, and orders it by send time without updated_at", () => {
    const { updated_at: _, ...unpaid } = { ...PAYMENT, paid_at: null };
    const record = only(whopEventToRecords(event("payment.failed", unpaid)));
    expect(record.date).toEqual(new Date("2026-07-22T14:03:05.401Z"));
    expect(record.changedAt).toEqual(SENT);
    expect(only(whopEventToRecords(event("payment.failed", unpaid, { sentAt: null }))).changedAt).toBeNull();
  });

  it("carries the refunded amount as stated and upper-cases the currency", () => {
    const record = only(
      whopEventToRecords(event("payment.succeeded", { ...PAYMENT, currency: "eur", refunded_amount: 10.43 })),
    );
    expect([record.refunded, record.currency]).toEqual(["10.43", "EUR"]);
  });

  it("maps a legacy v5 receipt with final_amount, Unix timestamps and no email", () => {
    const receipt = { id: "pay_2", status: "paid", created_at: 1675816599, final_amount: 2, currency: "usd" };
    const record = only(
      whopEventToRecords(event("payment.succeeded", receipt, { version: "v5", sentAt: null })),
    );
    expect(record).toMatchObject({
      key: "pay_2",
      scope: "payment",
      email: null,
      amount: "2",
      currency: "USD",
      amountUsd: null,
      refunded: "0",
      revenue: true,
      date: new Date(1675816599 * 1000),
      changedAt: null,
    });
  });
});

describe("whopEventToRecords: memberships and refunds", () => {
  const MEMBERSHIP = {
    id: "mem_1",
    status: "canceled",
    created_at: "2023-12-01T05:00:00.401Z",
    updated_at: "2024-01-01T05:00:00.401Z",
    user: { id: "user_1", email: "john.doe@example.com", name: null, username: "johndoe" },
  };

  it("maps a membership without money and never as revenue", () => {
    const record = only(whopEventToRecords(event("membership.deactivated", MEMBERSHIP)));
    expect(record).toEqual({
      key: "mem_1",
      scope: "membership",
      email: "john.doe@example.com",
      name: "johndoe",
      raw: MEMBERSHIP,
      changedAt: new Date("2024-01-01T05:00:00.401Z"),
      rank: 6,
      revenue: false,
      date: new Date("2023-12-01T05:00:00.401Z"),
    });
  });

  const REFUND = {
    id: "rfnd_1",
    amount: 10.43,
    currency: "usd",
    status: "pending",
    payment: { id: "pay_1" },
  };

  it("maps a refund to its payment and counts its amount as refunded only once it succeeded", () => {
    const pending = only(whopEventToRecords(event("refund.created", REFUND)));
    expect(pending).toMatchObject({
      key: "rfnd_1",
      scope: "refund",
      parentKey: "pay_1",
      refunded: "0",
      revenue: false,
      email: null,
      currency: "USD",
      changedAt: SENT,
    });
    for (const status of ["failed", "canceled", "requires_action"]) {
      expect(only(whopEventToRecords(event("refund.updated", { ...REFUND, status }))).refunded).toBe("0");
    }
    expect(only(whopEventToRecords(event("refund.updated", { ...REFUND, status: "succeeded" }))).refunded)
      .toBe("10.43");
  });

  it("finds the refunded payment whether nested, a bare id, or the legacy payment_id", () => {
    const { payment: _, ...bare } = REFUND;
    expect(only(whopEventToRecords(event("refund.created", { ...bare, payment: "pay_2" }))).parentKey).toBe(
      "pay_2",
    );
    expect(only(whopEventToRecords(event("refund.created", { ...bare, payment_id: "pay_3" }))).parentKey)
      .toBe("pay_3");
    expect(only(whopEventToRecords(event("refund.created", bare))).parentKey).toBeNull();
  });
});

describe("whopEventToRecords: everything else", () => {
  it("ignores event types it does not track instead of failing the delivery", () => {
    for (
      const type of ["invoice.paid", "app_payment.succeeded", "entry.created", "something"]
    ) {
      expect(whopEventToRecords(event(type, { id: "x" }))).toEqual({
        records: [],
        ignored: `${type} is not handled`,
      });
    }
  });

  it("fails a tracked event whose data cannot make a record, naming the event type", () => {
    expect(() => whopEventToRecords(event("payment.succeeded", { total: 5 }))).toThrow(PayloadError);
    expect(() => whopEventToRecords(event("payment.succeeded", { id: "p", total: "lots" }))).toThrow(
      /^invalid payment\.succeeded data: total: not an amount/,
    );
  });
});

describe("whopObjectToRecord", () => {
  it("maps a REST object for backfill with no event context", () => {
    const { updated_at: _, ...noUpdate } = PAYMENT;
    const record = whopObjectToRecord("payment", noUpdate);
    expect(record.changedAt).toBeNull();
    expect(record.revenue).toBe(true);
    expect(whopObjectToRecord("payment", PAYMENT).changedAt).toEqual(new Date(PAYMENT.updated_at));
  });

  it("names the kind an event type is about", () => {
    expect(
      [
        "payment.created",
        "membership.trial_ending_soon",
        "refund.updated",
        "disputes.x",
        "payment",
        "dispute.updated",
      ].map(
        whopObjectKind,
      ),
    )
      .toEqual(["payment", "membership", "refund", null, "payment", "dispute"]);
  });
});
