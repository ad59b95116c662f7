/**
 * WebhookInbox: every authenticated delivery is written to `webhook_events` before anything else
 * happens to it, keyed by the provider's delivery id, so a repeat changes nothing and a delivery
 * whose processing fails stays there, with its error, for `replay`.
 */
import { type Kysely, sql } from "kysely";
import type { Database, WebhookStatus } from "../db/types.ts";
import type { SourceRecord } from "../sync/record.ts";
import type { SourceTable } from "../sync/source-table.ts";
import { upsertRecords } from "../sync/engine.ts";
import { oneLine, PayloadError } from "../errors.ts";
import { isUnavailable } from "../db/client.ts";
import { type Delivery, isVerbatim, verbatim } from "./delivery.ts";

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
}

/**
 * Stores a delivery, as {@link Delivery.stored} says. A body jsonb refuses although it parsed (a NUL
 * escape) is kept as its bytes instead.
 */
export async function storeDelivery(
  db: Kysely<Database>,
  delivery: { source: string; eventId: string; eventType: string | null; body: Delivery },
): Promise<StoredDelivery> {
  // Text columns cannot hold NUL; a signed body may put one in the id or type it names itself by.
  const eventId = delivery.eventId.replaceAll("\u0000", "\uFFFD").slice(0, 500);
  const eventType = delivery.eventType?.replaceAll("\u0000", "\uFFFD").slice(0, 200) ?? null;
  const insert = (payload: string) =>
    sql<{ id: string }>`
      insert into webhook_events (source, event_id, event_type, payload)
      values (${delivery.source}, ${eventId}, ${eventType}, ${payload}::text::jsonb)
      on conflict (source, event_id) do nothing
      returning id`.execute(db);
  let inserted;
  try {
    inserted = await insert(delivery.body.stored);
  } catch (error) {
    if (isUnavailable(error)) throw error;
    inserted = await insert(verbatim(delivery.body.bytes));
  }
  if (inserted.rows[0]) return { id: String(inserted.rows[0].id), duplicate: false, status: "pending" };
  const existing = await db.selectFrom("webhook_events").select(["id", "status"])
    .where("source", "=", delivery.source).where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  return { id: String(existing.id), duplicate: true, status: existing.status as WebhookStatus };
}

/**
 * Processes one stored event and records the outcome on it. Never throws for bad payloads; throws
 * when the database is unavailable, leaving the event pending.
 */
export async function processEvent(
  db: Kysely<Database>,
  processor: WebhookProcessor,
  event: { id: string; payload: unknown },
): Promise<{ status: WebhookStatus; error: string | null }> {
  let status: WebhookStatus;
  let error: string | null = null;
  try {
    if (isVerbatim(event.payload)) {
      throw new PayloadError("the body is not JSON the database can hold; kept verbatim in the payload");
    }
    const { records, ignored } = processor.toRecords(event.payload);
    if (ignored && records.length === 0) {
      status = "ignored";
      error = ignored;
    } else {
      const counts = await upsertRecords(db, processor.table, records);
      status = counts.failed > 0 ? "failed" : "processed";
      if (counts.failed > 0) error = counts.errors.map((e) => e.reason).join("; ").slice(0, 1000);
    }
  } catch (e) {
    // A lost connection says nothing about the payload: leave the event pending for a retry.
    if (isUnavailable(e)) throw e;
    status = "failed";
    error = oneLine(e);
  }
  // The reason may quote the payload, and a text column cannot hold its NULs.
  error = error?.replaceAll("\u0000", "\uFFFD") ?? null;
  await db.updateTable("webhook_events")
    .set({ status, error, processed_at: new Date(), attempts: sql`attempts + 1` })
    .where("id", "=", event.id).execute();
  return { status, error };
}

/** Options of {@link replayEvents}. */
export interface ReplayOptions {
  /** Which statuses to replay (default failed and pending). */
  statuses?: WebhookStatus[];
  /** Leave pending events younger than this alone: they may be in flight (default 60 s). */
  minAgeSeconds?: number;
  limit?: number;
}

/**
 * Processes stored events again: failed ones, and pending ones left behind by a crash between
 * storing and processing. Returns how many ended in each status.
 */
export async function replayEvents(
  db: Kysely<Database>,
  processors: readonly WebhookProcessor[],
  options: ReplayOptions = {},
): Promise<Record<WebhookStatus, number>> {
  const statuses = options.statuses ?? ["failed", "pending"];
  const minAge = options.minAgeSeconds ?? 60;
  const tally: Record<WebhookStatus, number> = { pending: 0, processed: 0, failed: 0, ignored: 0 };
  for (const processor of processors) {
    const events = await db.selectFrom("webhook_events").select(["id", "payload"])
      .where("source", "=", processor.source)
      .where("status", "in", statuses)
      .where(sql<boolean>`(status <> 'pending' or received_at < now() - make_interval(secs => ${minAge}))`)
      .orderBy("received_at").orderBy("id")
      .limit(options.limit ?? 10_000).execute();
    for (const event of events) {
      const outcome = await processEvent(db, processor, { id: String(event.id), payload: event.payload });
      tally[outcome.status]++;
    }
  }
  return tally;
}
