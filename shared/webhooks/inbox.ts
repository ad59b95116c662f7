/**
 * WebhookInbox: every authenticated delivery is written to `webhook_events` before anything else
 * happens to it, keyed by the provider's delivery id, in one committed statement before the
 * answer, so a repeat changes nothing and nothing answered is lost. Processing comes after the
 * answer (`drain.ts`); a delivery whose processing fails stays there, with its error, for `replay`.
 */
import { type Kysely, sql } from "kysely";
import type { Database, WebhookStatus } from "../db/types.ts";
import type { SourceRecord } from "../sync/record.ts";
import type { SourceTable } from "../sync/source-table.ts";
import { isUnavailable } from "../db/client.ts";
import { type Delivery, verbatim } from "./delivery.ts";

/** What a source gives the inbox to process one stored payload. */
export interface WebhookProcessor {
  source: string;
  table: SourceTable;
  /**
   * Maps a payload (the delivery's parsed JSON, or a stored one) to records; throws PayloadError
   * when it does not fit the schema.
   */
  toRecords(payload: unknown): { records: SourceRecord[]; ignored?: string };
}

/** A delivery as stored. */
export interface StoredDelivery {
  id: string;
  duplicate: boolean;
  /** The stored event's status (a new one is `pending`). */
  status: WebhookStatus;
  /** When the delivery was first received: what its records' unknown change times become. */
  receivedAt: Date;
}

/** What {@link storeDelivery} stores. */
export interface IncomingDelivery {
  source: string;
  eventId: string;
  eventType: string | null;
  /**
   * For a delivery named by its content (the provider gives no id): what it is about, such as a
   * contact id. See {@link storeDelivery}.
   */
  subject?: string | null;
  body: Delivery;
}

/**
 * Stores a delivery, as {@link Delivery.stored} says. A body jsonb refuses although it parsed (a NUL
 * escape) is kept as its bytes instead.
 *
 * A repeat of a stored delivery is a duplicate, with one exception for deliveries named by their
 * content (`subject` set): when another delivery about the same subject was received after every
 * copy of this one, the repeat is the provider sending that content again (HighLevel workflow A,
 * then B, then A), not a retry, and it is stored as a new delivery, `<eventId>#<time>`. A retry
 * with nothing in between, or of a copy still pending, stays the duplicate it is.
 */
export async function storeDelivery(
  db: Kysely<Database>,
  delivery: IncomingDelivery,
): Promise<StoredDelivery> {
  // Text columns cannot hold NUL; a signed body may put one in the id or type it names itself by.
  const eventId = clean(delivery.eventId, 500);
  const subject = delivery.subject ? clean(delivery.subject, 500) : null;
  const stored = await insertDelivery(db, delivery, eventId, subject);
  if (stored) return stored;
  const existing = await db.selectFrom("webhook_events").select(["id", "status", "received_at"])
    .where("source", "=", delivery.source).where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  const duplicate = (row: { id: string | number; status: string; received_at: Date }) => ({
    id: String(row.id),
    duplicate: true,
    status: row.status as WebhookStatus,
    receivedAt: row.received_at,
  });
  // A delivery named by its content may be the provider sending that state again after another one
  // about the same subject (A, B, A): then it is a new delivery, even while the first copy is
  // still pending (processing follows the answer), or the drain would apply A, B and stop at B.
  if (subject === null) return duplicate(existing);
  const latest = await db.selectFrom("webhook_events").select(["id", "event_id", "status", "received_at"])
    .where("source", "=", delivery.source).where("subject", "=", subject)
    .orderBy("received_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
  if (!latest || latest.event_id === eventId || latest.event_id.startsWith(`${eventId}#`)) {
    return duplicate(latest ?? existing);
  }
  const copy = await insertDelivery(db, delivery, `${eventId}#${Date.now().toString(36)}`, subject);
  return copy ?? duplicate(existing); // the same repeat, racing itself
}

async function insertDelivery(
  db: Kysely<Database>,
  delivery: IncomingDelivery,
  eventId: string,
  subject: string | null,
): Promise<StoredDelivery | null> {
  const eventType = delivery.eventType === null ? null : clean(delivery.eventType, 200);
  const insert = (payload: string) =>
    sql<{ id: string; received_at: Date }>`
      insert into webhook_events (source, event_id, event_type, subject, payload)
      values (${delivery.source}, ${eventId}, ${eventType}, ${subject}, ${payload}::text::jsonb)
      on conflict (source, event_id) do nothing
      returning id, received_at`.execute(db);
  let inserted;
  try {
    inserted = await insert(delivery.body.stored);
  } catch (error) {
    if (isUnavailable(error)) throw error;
    inserted = await insert(verbatim(delivery.body.bytes));
  }
  const row = inserted.rows[0];
  return row
    ? { id: String(row.id), duplicate: false, status: "pending", receivedAt: row.received_at }
    : null;
}

function clean(text: string, max: number): string {
  return text.replaceAll("\u0000", "\uFFFD").slice(0, max);
}

export { replayEvents, type ReplayOptions } from "./drain.ts";
