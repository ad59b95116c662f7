/**
 * Elective orders: an exported file imported (again as a no-op, later with status flips), what
 * counts as revenue in the views, partial imports that delete nothing unless told, a refused
 * export, and a sheet source of kind ELECTIVE.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer } from "../helpers/csv-server.ts";
import { addSource, liveRows, logOf, pull } from "./helpers.ts";
import { DEFAULT_ELECTIVE_SCOPE, importElectiveCsv } from "../../shared/sources/elective/import-elective.ts";

let t: TestDatabase;
let csv: CsvServer;
const ORDERS = readFileSync("tests/fixtures/sheets/elective-orders.csv", "utf8");
const [HEADER, ...LINES] = ORDERS.trimEnd().split("\n");
const HAL =
  "2024-03-11 10:00:00,Hal Brook,hal@example.com,Workshop,USD,$500.00,3,$166.67,$15.00,$485.00,In-House,Approved";

/** A file's bytes as a stream, in small pieces, as a file read would deliver them. */
function stream(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 97));
      at += 97;
    },
  });
}
const importText = (text: string, options = {}) =>
  importElectiveCsv(t.kysely, stream(text), { chunkRows: 3, ...options });

async function electiveUsd(email: string): Promise<string> {
  const row = await t.kysely.selectFrom("revenue_by_user").select("elective_usd").where("email", "=", email)
    .executeTakeFirstOrThrow();
  return row.elective_usd;
}

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
});
afterAll(async () => {
  await csv?.close();
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, elective_data, sheet_sources, sync_logs, sync_run_keys, sync_checkpoints cascade`
    .execute(t.kysely);
});

describe("elective:import", () => {
  it("imports an export, counts only approved and refunded orders, and a repeat import changes nothing", async () => {
    const first = await importText(ORDERS);
    // Gina's "TBD" total fails alone with its row number.
    expect(first).toMatchObject({
      status: "PARTIAL",
      scope: DEFAULT_ELECTIVE_SCOPE,
      created: 7,
      failed: 1,
      deleted: 0,
    });
    expect(first.rowErrors).toEqual([expect.stringMatching(/^row 9, Order Total/)]);
    expect(first.columns).toEqual(
      expect.arrayContaining(["orderTotal ← 'Order Total'", "status ← 'Status'", "email ← 'Email'"]),
    );

    const rows = await liveRows(t.kysely, "elective_data", DEFAULT_ELECTIVE_SCOPE);
    const by = (email: string) => rows.filter((r) => r.email === email);
    expect(by("ann@example.com")[0]).toMatchObject({
      amount: "1799.99",
      currency: "USD",
      is_revenue: true,
      refunded_amount: "0",
    });
    expect(by("frank@example.com")).toHaveLength(2); // two identical orders stay two
    for (const email of ["bob@example.com", "dee@example.com", "eve@example.com"]) {
      expect(by(email)[0]).toMatchObject({ is_revenue: false }); // Pending Payment, First Payment Failed, Cancelled
      expect(await electiveUsd(email)).toBe("0.00");
    }
    expect(await electiveUsd("ann@example.com")).toBe("1799.99");
    expect(await electiveUsd("carla@example.es")).toBe("0.00"); // Refunded: gross, all of it refunded
    expect(await electiveUsd("frank@example.com")).toBe("3599.98");

    const again = await importText(ORDERS);
    expect(again).toMatchObject({ status: "PARTIAL", created: 0, updated: 0, unchanged: 7, deleted: 0 });
  });

  it("updates the same order when a later, larger export shows its status flipped, and the views show it refunded", async () => {
    await importText(ORDERS);
    const annBefore = (await liveRows(t.kysely, "elective_data", DEFAULT_ELECTIVE_SCOPE)).find((r) =>
      r.email === "ann@example.com"
    )!;
    const flipped = [HEADER, LINES[0].replace(/Approved$/, "Refunded"), ...LINES.slice(1), HAL].join("\n");

    const later = await importText(flipped);
    expect(later).toMatchObject({ created: 1, updated: 1, unchanged: 6, deleted: 0 });
    const ann = (await liveRows(t.kysely, "elective_data", DEFAULT_ELECTIVE_SCOPE)).filter((r) =>
      r.email === "ann@example.com"
    );
    expect(ann).toHaveLength(1);
    expect(ann[0]).toMatchObject({
      row_hash: annBefore.row_hash,
      is_revenue: true,
      refunded_amount: "1799.99",
    });
    expect(await electiveUsd("ann@example.com")).toBe("0.00");

    const march = await t.kysely.selectFrom("revenue_by_month").selectAll()
      .where("source", "=", "ELECTIVE").executeTakeFirstOrThrow();
    // Ann and Carla refunded, Frank's two orders and Hal's count; pending, failed and cancelled do not.
    expect(march).toMatchObject({ gross_usd: "7699.96", refunded_usd: "3599.98", net_usd: "4099.98" });
  });

  it("deletes nothing on a date-filtered export unless --full, and then only within the safety valve", async () => {
    await importText(ORDERS);
    const filtered = [HEADER, LINES[0]].join("\n");
    expect(await importText(filtered)).toMatchObject({ status: "SUCCESS", unchanged: 1, deleted: 0 });
    expect(await liveRows(t.kysely, "elective_data", DEFAULT_ELECTIVE_SCOPE)).toHaveLength(7);

    const refused = await importText(filtered, { full: true });
    expect(refused).toMatchObject({
      status: "PARTIAL",
      deleted: 0,
      deleteRefused: { wouldDelete: 6, live: 7 },
    });
    expect(await importText(filtered, { full: true, force: true })).toMatchObject({
      status: "SUCCESS",
      deleted: 6,
    });
    expect(await liveRows(t.kysely, "elective_data", DEFAULT_ELECTIVE_SCOPE)).toHaveLength(1);
  });

  it("refuses an export without the columns revenue needs, with one line, and deletes nothing", async () => {
    await importText(ORDERS);
    const noTotal = ORDERS.split("\n").map((line) => line.split(",").slice(0, 5).join(",")).join("\n");
    const result = await importText(noTotal, { full: true, force: true });
    expect(result).toMatchObject({ status: "FAILED", deleted: 0 });
    expect(result.error).toMatch(
      /^the Elective export lacks 'Order Total', 'Status' \(headers: 'Purchase Date', /,
    );
    expect((await logOf(t.kysely, result.syncLogId)).error_message).toBe(result.error);
    expect(await liveRows(t.kysely, "elective_data", DEFAULT_ELECTIVE_SCOPE)).toHaveLength(7);
    expect(await importText(HEADER)).toMatchObject({
      status: "FAILED",
      error: "the export has a header row but no orders",
    });
  });
});

describe("a sheet source of kind ELECTIVE", () => {
  it("pulls the export's rows into elective_data, finding the email column by its content", async () => {
    const students = readFileSync("tests/fixtures/sheets/elective-orders-students.csv", "utf8");
    csv.set("elective", { kind: "csv", csv: students });
    const s = await addSource(t.kysely, {
      name: "elective",
      url: csv.exportUrl("elective"),
      kind: "ELECTIVE",
    });
    const summary = await pull(t.kysely, "elective");
    expect(summary).toMatchObject({ kind: "ELECTIVE", status: "SUCCESS", created: 3 });
    expect(summary.columns).toEqual(expect.arrayContaining(["email ← 'Contact'", "name ← 'Student Name'"]));
    expect((await logOf(t.kysely, summary.syncLogId)).source).toBe("ELECTIVE");

    const rows = await liveRows(t.kysely, "elective_data", s.url);
    expect(rows.map((r) => [r.email, r.amount, r.currency, r.is_revenue]).sort()).toEqual([
      [null, "450.00", "CAD", true],
      ["ann@example.com", "1799.99", "USD", true],
      ["bob@example.com", "997.00", "USD", true],
    ]);
    expect(await electiveUsd("bob@example.com")).toBe("997.00");
    expect(await pull(t.kysely, "elective")).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
  });
});
