/**
 * The Elective feed from Zapier through the elective-webhook app: the secret, the revenue rules,
 * Zapier's repeats, and bad input stored as failed. Assertions are on elective_data and the views.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { replayEvents } from "../../shared/webhooks/inbox.ts";
import { electiveWebhookSource } from "../../shared/sources/elective/webhook-source.ts";
import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { electiveApp, electiveMonths, electiveUsd, send, truncate, zapEvent } from "./helpers.ts";

let t: TestDatabase;
let app: ReturnType<typeof electiveApp>;

beforeAll(async () => {
  t = await openTestDatabase();
  app = electiveApp(t);
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => truncate(t));

const IN_HOUSE = { type: "In-House", order_id: "ord_77", order_total: "$900.00", term: "3" };
const installment = (date: string, fields: Record<string, unknown> = {}) =>
  zapEvent("installment_charged", {
    ...IN_HOUSE,
    installment_amount: "$300.00",
    installment_date: date,
    ...fields,
  });

describe("elective-webhook: who may send", () => {
  it("answers 401 to a missing or wrong secret and stores nothing", async () => {
    for (const auth of [{}, { header: "wrong" }, { query: "wrong" }]) {
      const res = await send(app, zapEvent("order_completed"), auth);
      expect(res.status).toBe(401);
      expect(res.json.error).toBeDefined();
    }
    // Without ELECTIVE_WEBHOOK_SECRET every delivery is refused, even one that sends no secret.
    const unset = createWebhookApp(electiveWebhookSource({ secret: () => undefined }), () => t.kysely);
    const res = await unset.request(new Request("http://x/elective-webhook", { method: "POST", body: "{}" }));
    expect([res.status, (await res.json()).reason]).toEqual([
      401,
      "the Elective feed is disabled: ELECTIVE_WEBHOOK_SECRET is not set",
    ]);
    expect(await t.kysely.selectFrom("webhook_events").selectAll().execute()).toEqual([]);
    expect(await t.kysely.selectFrom("elective_data").selectAll().execute()).toEqual([]);
  });

  it("takes the secret from ?secret= as well", async () => {
    const res = await send(app, zapEvent("order_completed"), { query: "zap-secret-for-tests" });
    expect(res).toMatchObject({ status: 200, json: { status: "processed" } });
  });
});

describe("elective-webhook: revenue rules", () => {
  it("counts a Funding order's total on its purchase date, for the buyer, gross in the views", async () => {
    expect((await send(app, zapEvent("order_completed"))).json.status).toBe("processed");
    expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
    expect(await electiveMonths(t)).toEqual([["2024-03", "1799.99", "0.00", "1799.99"]]);
    const { rows: [order] } = await sql`select * from elective_orders`.execute(t.kysely);
    expect(order).toMatchObject({ fees: "$107.99", net_amount: "$1,692.00", state: "completed", counted: "1799.99" });
  });

  it("nets a refunded Funding order to zero in its own month", async () => {
    await send(app, zapEvent("order_completed"));
    expect((await send(app, zapEvent("order_refunded"))).json.status).toBe("processed");
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
    expect(await electiveMonths(t)).toEqual([["2024-03", "1799.99", "1799.99", "0.00"]]);
  });

  it("counts nothing for a refund whose completion never arrived", async () => {
    await send(app, zapEvent("order_refunded"));
    expect(await electiveMonths(t)).toEqual([]);
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
  });

  it("counts an In-House plan per installment charged, and a refund nets what was charged", async () => {
    await send(app, zapEvent("order_completed", IN_HOUSE));
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
    await send(app, installment("2024-03-04T15:22:10Z"));
    await send(app, installment("2024-04-04T15:22:10Z"));
    expect(await electiveUsd(t, "ann@example.com")).toBe("600.00");
    expect(await electiveMonths(t)).toEqual([
      ["2024-03", "300.00", "0.00", "300.00"],
      ["2024-04", "300.00", "0.00", "300.00"],
    ]);
    await send(app, zapEvent("order_refunded", IN_HOUSE));
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
    expect(await electiveMonths(t)).toEqual([
      ["2024-03", "300.00", "300.00", "0.00"],
      ["2024-04", "300.00", "300.00", "0.00"],
    ]);
  });

  it("refunds an installment that arrives after the refund too", async () => {
    await send(app, zapEvent("order_refunded", IN_HOUSE));
    await send(app, installment("2024-03-04T15:22:10Z"));
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
  });

  it("keeps what a canceled plan charged before it was canceled", async () => {
    await send(app, zapEvent("order_completed", IN_HOUSE));
    await send(app, installment("2024-03-04T15:22:10Z"));
    await send(app, zapEvent("order_canceled", IN_HOUSE));
    expect(await electiveUsd(t, "ann@example.com")).toBe("300.00");
    await send(app, zapEvent("order_completed", { order_id: "ord_f" }));
    await send(app, zapEvent("order_canceled", { order_id: "ord_f" }));
    expect(await electiveUsd(t, "ann@example.com")).toBe("2099.99");
  });

  it("does not count a Funding order's installments: Elective paid the merchant up front", async () => {
    await send(app, zapEvent("order_completed", { order_id: "ord_f" }));
    await send(app, zapEvent("installment_charged", {
      order_id: "ord_f",
      installment_amount: "150",
      installment_date: "2024-04-04",
    }));
    expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
  });
});

describe("elective-webhook: Zapier's repeats", () => {
  it("counts the same event sent twice once, and applies a new event for the same order", async () => {
    const first = await send(app, installment("2024-03-04T15:22:10Z"));
    // Zapier's retry: the same content, possibly re-serialised with other key order and spacing.
    const again = await send(app, JSON.stringify(installment("2024-03-04T15:22:10Z"), null, 2));
    expect([first.json.status, again.json.status]).toEqual(["processed", "duplicate"]);
    expect(again.json.id).toBe(first.json.id);
    await send(app, installment("2024-04-04T15:22:10Z"));
    expect(await electiveUsd(t, "ann@example.com")).toBe("600.00");
    const events = await t.kysely.selectFrom("webhook_events").select("event_id").execute();
    expect(events).toHaveLength(2);
  });

  it("moves the order to the email of a later event, never counting it twice", async () => {
    await send(app, zapEvent("order_completed", IN_HOUSE));
    await send(app, installment("2024-03-04T15:22:10Z"));
    await send(app, installment("2024-04-04T15:22:10Z", { customer_email: "ann.lee@example.org" }));
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
    expect(await electiveUsd(t, "ann.lee@example.org")).toBe("600.00");
    const owners = await t.kysely.selectFrom("elective_data").innerJoin("users", "users.id", "elective_data.user_id")
      .select("users.email").distinct().execute();
    expect(owners).toEqual([{ email: "ann.lee@example.org" }]);
  });
});

describe("elective-webhook: bad input", () => {
  it("stores a body that is not a flat JSON object, or lacks the event or the money, as failed with a reason", async () => {
    const cases: [unknown, RegExp][] = [
      ["name=Ann&total=5", /not a flat JSON object \(it is undefined\)|not JSON/],
      [[zapEvent("order_completed")], /not a flat JSON object \(it is an array\)/],
      [{ ...zapEvent("order_completed"), cart: { name: "x" } }, /'cart' holds an object/],
      [{ ...zapEvent("order_completed"), event: undefined }, /^no 'event'/],
      [zapEvent("order_completed", { order_total: "" }), /^order_completed without order_total$/],
      [zapEvent("installment_charged", { installment_date: "2024-03-04" }), /without installment_amount/],
    ];
    for (const [body, reason] of cases) {
      const res = await send(app, body);
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.json.status).toBe("failed");
      expect(String(res.json.reason)).toMatch(reason);
    }
    const failed = await t.kysely.selectFrom("webhook_events").select(["status", "error"]).execute();
    expect(failed).toHaveLength(cases.length);
    expect(failed.every((e) => e.status === "failed" && !e.error!.includes("\n"))).toBe(true);
    expect(await t.kysely.selectFrom("elective_data").selectAll().execute()).toEqual([]);
    // replay sees them, and fails them again with the same reason
    const tally = await replayEvents(t.kysely, [electiveWebhookSource({ secret: () => "x" })]);
    expect(tally.failed).toBe(cases.length);
  });

  it("fails an event with an ambiguous amount alone", async () => {
    const bad = await send(app, zapEvent("order_completed", { order_id: "ord_1", order_total: "1,799" }));
    const good = await send(app, zapEvent("order_completed", { order_id: "ord_2" }));
    expect(bad.json).toMatchObject({ status: "failed", reason: expect.stringMatching(/ambiguous/) });
    expect(good.json.status).toBe("processed");
    expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
  });
});
