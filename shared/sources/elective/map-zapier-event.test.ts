import { describe, expect, it } from "vitest";
import { parseZapierEvent } from "./zapier-schema.ts";
import { eventIdentity, orderIdentity, zapierEventToRecords } from "./map-zapier-event.ts";

const base = {
  customer_email: "ann@example.com",
  customer_name: "Ann Lee",
  checkout_id: "chk_1",
  product: "Coaching",
  order_total: "$900.00",
  purchase_date: "2024-03-04T15:22:10Z",
};
const read = (event: string, fields: Record<string, unknown> = {}) =>
  parseZapierEvent({ event, ...base, ...fields });
const only = (event: ReturnType<typeof read>) => zapierEventToRecords(event).records[0];

describe("zapierEventToRecords", () => {
  it("counts a Funding order's total on its purchase date, with its match key", () => {
    expect(only(read("order_completed", { type: "Funding" }))).toMatchObject({
      scope: "elective:zapier",
      key: expect.stringMatching(/^sale:h:/),
      amount: "900.00",
      revenue: true,
      refunded: "0",
      date: new Date("2024-03-04T15:22:10Z"),
      parentKey: "m:2024-03-04T15:22|900|ann lee#coaching",
    });
  });

  it("keeps an In-House sale uncounted and counts its installments on their day", () => {
    expect(only(read("order_completed", { type: "in-house" }))).toMatchObject({
      revenue: false,
      amount: "900.00",
    });
    const installment = only(read("installment_charged", {
      type: "In-House",
      installment_amount: "300",
      installment_date: "2024-04-04",
    }));
    const sale = only(read("order_completed", { type: "In-House" }));
    expect(installment).toMatchObject({
      key: `installment:${sale.key.slice(5)}:2024-04-04T00:00:00.000Z:300`,
      amount: "300",
      revenue: true,
      parentKey: sale.key,
    });
  });

  it("writes refunds and cancellations as facts of the order that count nothing themselves", () => {
    const sale = only(read("order_completed"));
    expect(only(read("order_refunded"))).toMatchObject({
      key: `refund:${sale.key.slice(5)}`,
      revenue: false,
    });
    expect(only(read("order_canceled"))).toMatchObject({
      key: `cancel:${sale.key.slice(5)}`,
      parentKey: sale.key,
    });
  });

  it("identifies the order by its id, else by checkout, time and total, never by the email", () => {
    expect(orderIdentity(read("order_completed", { order_id: "ord_9" }))).toBe("id:ord_9");
    const key = orderIdentity(read("order_completed"));
    expect(orderIdentity(read("order_refunded", { customer_email: "other@example.com" }))).toBe(key);
    expect(orderIdentity(read("order_completed", { order_total: "901" }))).not.toBe(key);
    expect(orderIdentity(read("order_completed", { purchase_date: "" }))).toMatch(/^e:/);
    expect(() =>
      orderIdentity(read("installment_charged", {
        purchase_date: "",
        order_total: "",
        installment_amount: "1",
        installment_date: "2024-04-04",
      }))
    ).toThrow(/cannot tell which order/);
  });

  it("names a delivery by event, order and amount, so a repeat is the same and a new event is not", () => {
    const a = eventIdentity(read("order_completed"));
    expect(eventIdentity(read("order_completed", { fees: "5" }))).toBe(a);
    expect(eventIdentity(read("order_refunded"))).not.toBe(a);
    const installment = (date: string) =>
      eventIdentity(read("installment_charged", { installment_amount: "300", installment_date: date }));
    expect(installment("2024-04-04")).not.toBe(installment("2024-05-04"));
  });
});
