import { describe, expect, it } from "vitest";
import { parseZapierEvent } from "./zapier-schema.ts";

const completed = {
  event: "order_completed",
  customer_email: "ann@example.com",
  order_total: "$1,799.99",
  fees: "107.99",
  net_amount: "$1,692.00",
  purchase_date: "2024-03-04T15:22:10Z",
};

describe("parseZapierEvent", () => {
  it("reads money exactly as Zapier writes it, and dates as ISO or Zapier's formats", () => {
    const event = parseZapierEvent({ ...completed, currency: "usd", extra: "kept" });
    expect(event).toMatchObject({
      event: "order_completed",
      orderTotal: "1799.99",
      fees: "107.99",
      netAmount: "1692.00",
      currency: "USD",
      purchaseDate: new Date("2024-03-04T15:22:10Z"),
    });
    expect(event.raw.extra).toBe("kept");
    expect(parseZapierEvent({ ...completed, purchase_date: "Mar 4, 2024 3:22 PM" }).purchaseDate)
      .toEqual(new Date("2024-03-04T15:22:00Z"));
    expect(parseZapierEvent({ ...completed, order_total: 1799.99 }).orderTotal).toBe("1799.99");
  });

  it("matches keys and event names whatever their case and spacing", () => {
    const event = parseZapierEvent({
      Event: "Order Refunded",
      "Order Total": "5",
      "Customer Email": "a@b.co",
    });
    expect(event).toMatchObject({ event: "order_refunded", orderTotal: "5", email: "a@b.co" });
  });

  it("refuses what is not a flat object, an unknown or missing event, and missing money, in one line", () => {
    const reason = (payload: unknown) => {
      try {
        parseZapierEvent(payload);
        return "parsed";
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(reason([completed])).toBe("the body is not a flat JSON object (it is an array)");
    expect(reason("x")).toBe("the body is not a flat JSON object (it is string)");
    expect(reason({ ...completed, items: [1] })).toMatch(/'items' holds an array/);
    expect(reason({ ...completed, event: "application_approved" })).toMatch(
      /^unknown event 'application_approved'/,
    );
    expect(reason({ order_total: "5" })).toMatch(/^no 'event'/);
    expect(reason({ ...completed, order_total: " " })).toBe("order_completed without order_total");
    expect(reason({ event: "installment_charged", installment_amount: "5" })).toBe(
      "installment_charged without installment_date",
    );
  });

  it("fails an ambiguous or conflicting amount, or an unreadable date", () => {
    expect(() => parseZapierEvent({ ...completed, order_total: "1,799" })).toThrow(/ambiguous/);
    expect(() => parseZapierEvent({ ...completed, order_total: "1.799" })).toThrow(/ambiguous/);
    expect(() => parseZapierEvent({ ...completed, currency: "USD", order_total: "€5" })).toThrow(
      /not in USD/,
    );
    expect(() => parseZapierEvent({ ...completed, currency: "dollars" })).toThrow(/not an ISO 4217 code/);
    expect(() => parseZapierEvent({ ...completed, purchase_date: "yesterday" })).toThrow(/^purchase_date: /);
  });
});
