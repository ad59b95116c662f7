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
import { jsonDepth, MAX_JSON_DEPTH } from "../sync/normalize.ts";

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
  /** The stored event's status (a new one is `pending`). */
  status: WebhookStatus;
}

/**
 * Stores a delivery. Bodies that are not JSON are kept as `{"unparsed": "<text>"}`, and bodies whose
 * text would not survive jsonb exactly (invalid UTF-8, absurd nesting, a NUL escape) as
 * `{"unparsed_base64": "<bytes>"}`, so nothing a provider signed is lost, even when it cannot be
 * processed.
 */
export async function storeDelivery(
  db: Kysely<Database>,
  delivery: { source: string; eventId: string; eventType: string | null; body: string; bytes: Uint8Array },
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
  const verbatim = () => JSON.stringify({ unparsed_base64: toBase64(delivery.bytes) });
  let inserted;
  try {
    inserted = await insert(
      !isUtf8(delivery.bytes) || jsonDepth(delivery.body) > MAX_JSON_DEPTH
        ? verbatim()
        : isJson(delivery.body)
        ? delivery.body
        : JSON.stringify({ unparsed: delivery.body }),
    );
  } catch (error) {
    if (isUnavailable(error)) throw error;
    // jsonb refuses some JSON (a NUL escape, absurd nesting): keep the exact bytes instead.
    inserted = await insert(verbatim());
  }
  if (inserted.rows[0]) return { id: String(inserted.rows[0].id), duplicate: false, status: "pending" };
  const existing = await db.selectFrom("webhook_events").select(["id", "status"])
    .where("source", "=", delivery.source).where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  return { id: String(existing.id), duplicate: true, status: existing.status as WebhookStatus };
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
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
