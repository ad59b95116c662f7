/**
 * Helpers for the Elective feed tests: Zapier-shaped events, a sender through the app, and reads of
 * the views.
 */
import { sql } from "kysely";
import type { TestDatabase } from "../helpers/database.ts";
import { createWebhookApp } from "../../shared/webhooks/webhook-app.ts";
import { electiveWebhookSource } from "../../shared/sources/elective/webhook-source.ts";
import { importElectiveCsv } from "../../shared/sources/elective/import-elective.ts";
import { outcomeOf } from "../helpers/outcome.ts";

export const SECRET = "zap-secret-for-tests";

/** An event as a Zap with the README's data pairs sends it (values as Zapier writes them). */
export function zapEvent(event: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event,
    customer_email: "ann@example.com",
    customer_name: "Ann Lee",
    checkout_id: "7f1c2d9e-3b4a-4c5d-8e6f-0a1b2c3d4e5f",
    product: "Coaching Program",
    order_total: "$1,799.99",
    currency: "USD",
    term: "12",
    type: "Funding",
    fees: "$107.99",
    net_amount: "$1,692.00",
    purchase_date: "2024-03-04T15:22:10Z",
    ...fields,
  };
}

/** The app with the test secret, on the test database. */
export function electiveApp(t: TestDatabase) {
  const app = createWebhookApp(electiveWebhookSource({ secret: () => SECRET }), () => t.kysely);
  databases.set(app, t);
  return app;
}

const databases = new WeakMap<object, TestDatabase>();

/** Posts `body` (an object is sent as JSON) with the secret in the header, or as given. */
export async function send(
  app: ReturnType<typeof electiveApp>,
  body: unknown,
  auth: { header?: string; query?: string } = { header: SECRET },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL("http://127.0.0.1/elective-webhook");
  if (auth.query !== undefined) url.searchParams.set("secret", auth.query);
  const headers = new Headers({ "content-type": "application/json" });
  if (auth.header !== undefined) headers.set("x-webhook-secret", auth.header);
  const res = await app.request(
    new Request(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }),
  );
  if (res.status !== 200) return { status: res.status, json: await res.json() };
  // The answer (`stored`, `duplicate`) comes before processing: wait for it, and report a stored
  // delivery by what processing made of it, a repeat as the duplicate it was answered as.
  const outcome = await outcomeOf(databases.get(app)!.kysely, app, res);
  const json = outcome.answer === "duplicate"
    ? { status: "duplicate", id: outcome.id }
    : { status: outcome.status, id: outcome.id, ...(outcome.reason ? { reason: outcome.reason } : {}) };
  return { status: res.status, json };
}

/** `revenue_by_user.elective_usd` of `email` ("absent" when the person does not exist). */
export async function electiveUsd(t: TestDatabase, email: string): Promise<string> {
  const row = await t.kysely.selectFrom("revenue_by_user").select("elective_usd").where("email", "=", email)
    .executeTakeFirst();
  return row?.elective_usd ?? "absent";
}

/** Elective's rows of `revenue_by_month`, as [month, gross, refunded, net]. */
export async function electiveMonths(t: TestDatabase): Promise<string[][]> {
  const rows = await t.kysely.selectFrom("revenue_by_month").selectAll().where("source", "=", "ELECTIVE")
    .orderBy("month").execute();
  return rows.map((r) => [r.month.toISOString().slice(0, 7), r.gross_usd, r.refunded_usd, r.net_usd]);
}

/** Imports export text into the default scope. */
export function importText(t: TestDatabase, text: string) {
  const bytes = new TextEncoder().encode(text);
  return importElectiveCsv(t.kysely, new Response(bytes).body!, {});
}

export async function truncate(t: TestDatabase): Promise<void> {
  await sql`truncate users, elective_data, webhook_events, sync_logs, sync_run_keys cascade`.execute(t.kysely);
}

/** The export layout Elective's help centre documents: no email, no order id. */
export const EXPORT_HEADER =
  "Purchase Date (UTC),Customer / Student Name,Checkout / Product Purchased,Currency,Order Total,Term," +
  "First Payment,Fees,Net Amount,Type,Status";
