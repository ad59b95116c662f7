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
import { toBase64 } from "../crypto/encoding.ts";

/** What a source gives the inbox to process one stored payload. */
export interface WebhookProcessor {
  source: string;
  table: SourceTable;
  /** Maps a stored payload to records; throws PayloadError when it does not fit the schema. */
  toRecords(payload: unknown): { records: SourceRecord[]; ignored?: string };
}

/** A delivery as stored. */
export interface StoredDelivery {
  id: string;
  duplicate: boolean;
}

/**
 * Stores a delivery. Bodies that are not JSON are kept as `{"unparsed": "<text>"}` so nothing a
 * provider signed is lost, even when it cannot be processed.
 */
export async function storeDelivery(
  db: Kysely<Database>,
  delivery: { source: string; eventId: string; eventType: string | null; body: string; bytes: Uint8Array },
): Promise<StoredDelivery> {
  const insert = (payload: string) =>
    sql<{ id: string }>`
      insert into webhook_events (source, event_id, event_type, payload)
      values (${delivery.source}, ${delivery.eventId.slice(0, 500)}, ${
      delivery.eventType?.slice(0, 200) ?? null
    },
              ${payload}::text::jsonb)
      on conflict (source, event_id) do nothing
      returning id`.execute(db);
  let inserted;
  try {
    inserted = await insert(
      isJson(delivery.body) ? delivery.body : JSON.stringify({ unparsed: delivery.body }),
    );
  } catch (error) {
    if (isUnavailable(error)) throw error;
    // jsonb refuses some JSON (a NUL escape, absurd nesting): keep the exact bytes instead.
    inserted = await insert(JSON.stringify({ unparsed_base64: toBase64(delivery.bytes) }));
  }
  if (inserted.rows[0]) return { id: String(inserted.rows[0].id), duplicate: false };
  const existing = await db.selectFrom("webhook_events").select("id")
    .where("source", "=", delivery.source).where("event_id", "=", delivery.eventId.slice(0, 500))
    .executeTakeFirstOrThrow();
  return { id: String(existing.id), duplicate: true };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Processes one stored event and records the outcome on it. Never throws for bad payloads. */
export async function processEvent(
  db: Kysely<Database>,
  processor: WebhookProcessor,
  event: { id: string; payload: unknown },
): Promise<{ status: WebhookStatus; error: string | null }> {
  let status: WebhookStatus;
  let error: string | null = null;
  try {
    const payload = event.payload as { unparsed?: unknown; unparsed_base64?: unknown } | null;
    if (payload && typeof payload === "object" && ("unparsed" in payload || "unparsed_base64" in payload)) {
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
    status = "failed";
    error = oneLine(e);
  }
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
