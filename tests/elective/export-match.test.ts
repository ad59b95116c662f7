/**
 * One order whichever way it arrives: the same purchase from the Zapier feed and from an orders
 * export (without email) is counted once and the export row takes the feed's person, in either
 * order; an ambiguous match is never guessed; a corrected email moves an order without counting it
 * twice; exports with qualified headers and statuses in any case still count in the monthly views.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import {
  electiveApp,
  electiveMonths,
  electiveUsd,
  EXPORT_HEADER,
  importText,
  send,
  truncate,
  zapEvent,
} from "./helpers.ts";

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

const ANN = '2024-03-04 15:22:10,Ann Lee,Coaching Program,USD,"$1,799.99",12,$150.00,$107.99,"$1,692.00",Funding,APPROVED';
const BOB = "2024-03-05 09:01:44,Bob Smith,Mastermind,USD,$997.00,6,$166.17,$29.91,$967.09,In-House,approved";
const EXPORT = [EXPORT_HEADER, ANN, BOB].join("\n");

async function exportRows() {
  return await t.kysely.selectFrom("elective_data").leftJoin("users", "users.id", "elective_data.user_id")
    .select(["elective_data.name", "users.email", "elective_data.amount_usd"])
    .where("source_url", "=", "elective:orders").orderBy("elective_data.date").execute();
}

describe("the same order from the feed and from an export", () => {
  it("is counted once and the export row takes the feed's person, whichever arrives first", async () => {
    for (const feedFirst of [true, false]) {
      await truncate(t);
      if (feedFirst) await send(app, zapEvent("order_completed"));
      const imported = await importText(t, EXPORT);
      expect(imported).toMatchObject({ status: "SUCCESS", created: 2 });
      if (!feedFirst) await send(app, zapEvent("order_completed"));

      expect(await exportRows(), `feed first: ${feedFirst}`).toEqual([
        { name: "Ann Lee", email: "ann@example.com", amount_usd: "0" },
        { name: "Bob Smith", email: null, amount_usd: null },
      ]);
      expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
      // Bob (export only, no email) still counts in the month, as before the feed existed.
      expect(await electiveMonths(t)).toEqual([["2024-03", "2796.99", "0.00", "2796.99"]]);
    }
  });

  it("re-imports the linked export as a no-op and lists the link in the summary", async () => {
    await send(app, zapEvent("order_completed"));
    const first = await importText(t, EXPORT);
    expect(first.links).toEqual({ linked: 1, ambiguous: [], ambiguousCount: 0 });
    const again = await importText(t, EXPORT);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
  });

  it("counts an In-House plan by the feed's installments, not by the export's total", async () => {
    const plan = { type: "In-House", customer_name: "Bob Smith", customer_email: "bob@example.com" };
    const order = {
      ...plan,
      product: "Mastermind",
      order_total: "997.00",
      purchase_date: "2024-03-05T09:01:44Z",
      order_id: "ord_b",
    };
    await send(app, zapEvent("order_completed", order));
    await send(app, zapEvent("installment_charged", {
      ...order,
      installment_amount: "166.17",
      installment_date: "2024-03-05T09:01:44Z",
    }));
    await importText(t, EXPORT);
    expect(await electiveUsd(t, "bob@example.com")).toBe("166.17");
    expect(await electiveMonths(t)).toEqual([["2024-03", "1966.16", "0.00", "1966.16"]]);
  });

  it("moves a linked export row with its order when a later event corrects the email", async () => {
    await send(app, zapEvent("order_completed", { order_id: "ord_a" }));
    await importText(t, EXPORT);
    await send(app, zapEvent("order_refunded", { order_id: "ord_a", customer_email: "ann.lee@example.org" }));
    expect((await exportRows())[0]).toMatchObject({ email: "ann.lee@example.org", amount_usd: "0" });
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
    expect(await electiveUsd(t, "ann.lee@example.org")).toBe("0.00");
    expect(await electiveMonths(t)).toEqual([["2024-03", "2796.99", "1799.99", "997.00"]]);
  });

  it("never guesses an ambiguous match: the rows stay unlinked, are listed, and are not counted twice", async () => {
    // Two feed orders fit Ann's export row: same minute, total and name (the feed sends no product).
    await send(app, zapEvent("order_completed", { order_id: "o1", product: null }));
    await send(app, zapEvent("order_completed", { order_id: "o2", product: null, customer_email: "ann2@example.com" }));
    const imported = await importText(t, EXPORT);
    expect(imported.links).toMatchObject({ linked: 0, ambiguousCount: 1 });
    expect(imported.links!.ambiguous[0]).toMatch(/^2024-03-04 15:22, Ann Lee, 1799.99 coaching program: 2 feed orders and 1 export rows fit$/);
    expect((await exportRows())[0]).toMatchObject({ email: null, amount_usd: "0" });
    const { rows } = await sql<{ name: string }>`select name from elective_ambiguous_orders`.execute(t.kysely);
    expect(rows).toEqual([{ name: "Ann Lee" }]);
    expect(await electiveMonths(t)).toEqual([["2024-03", "4596.98", "0.00", "4596.98"]]);
  });

  it("leaves two identical export rows for one feed order unlinked", async () => {
    await send(app, zapEvent("order_completed"));
    const imported = await importText(t, [EXPORT_HEADER, ANN, ANN].join("\n"));
    expect(imported.links).toMatchObject({ linked: 0, ambiguousCount: 2 });
    expect((await exportRows()).map((r) => r.email)).toEqual([null, null]);
    expect(await electiveUsd(t, "ann@example.com")).toBe("1799.99");
  });
});

describe("exports on their own", () => {
  it("moves an order to a corrected email in a later export, never counting it twice", async () => {
    const header = "Purchase Date,Customer Name,Email,Checkout,Order Total,Status";
    await importText(t, `${header}\n2024-03-04 15:22:10,Ann Lee,ann@example.com,Coaching,$100.00,Approved`);
    await importText(t, `${header}\n2024-03-04 15:22:10,Ann Lee,ann.lee@example.org,Coaching,$100.00,Approved`);
    expect(await electiveUsd(t, "ann@example.com")).toBe("0.00");
    expect(await electiveUsd(t, "ann.lee@example.org")).toBe("100.00");
    expect(await electiveMonths(t)).toEqual([["2024-03", "100.00", "0.00", "100.00"]]);
  });

  it("reads qualified headers and statuses in any case; Pending Payment and First Payment Failed count nothing", async () => {
    const header = "Purchase Date (UTC),Customer / Student Name,Order Total (USD),Fees,Net Amount,Type,Status";
    const imported = await importText(
      t,
      [
        header,
        "2024-03-04 15:22:10,Ann Lee,$100.00,$3.00,$97.00,Funding,APPROVED",
        "2024-03-05 15:22:10,Bob Smith,$200.00,$6.00,$194.00,Funding,pending payment",
        "2024-03-06 15:22:10,Cy Young,$300.00,$9.00,$291.00,Funding,First payment failed",
        "2024-04-01 10:00:00,Di Ray,$400.00,$12.00,$388.00,Funding,refunded",
      ].join("\n"),
    );
    expect(imported).toMatchObject({ status: "SUCCESS", created: 4 });
    expect(await electiveMonths(t)).toEqual([
      ["2024-03", "100.00", "0.00", "100.00"],
      ["2024-04", "400.00", "400.00", "0.00"],
    ]);
  });

  it("refuses an export whose purchase dates are in another time zone", async () => {
    const imported = await importText(t, "Purchase Date (EST),Order Total,Status\n2024-03-04 10:00,$1,Approved");
    expect(imported).toMatchObject({ status: "FAILED", error: expect.stringMatching(/is in EST/) });
  });
});
