/**
 * processBatch: a claimed batch of one source's deliveries, mapped and written by one run of the
 * set-based engine, each delivery told apart again in the outcome: processed when every record it
 * stated was written (or was older than what is stored), failed with the reason when one was not,
 * ignored when it states nothing we track.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import type { SourceRecord } from "../sync/record.ts";
import { upsertRecords } from "../sync/engine.ts";
import { isUnavailable } from "../db/client.ts";
import { oneLine, PayloadError } from "../errors.ts";
import type { WebhookProcessor } from "./inbox.ts";
import type { ClaimedEvent, EventOutcome } from "./claim.ts";
import { storedJson } from "./delivery.ts";

/**
 * Processes one source's claimed deliveries (oldest first). Never throws for a bad payload or
 * record; throws when the database is unavailable, leaving every delivery of the batch pending.
 *
 * Each record carries its own delivery's `received_at` as the time it was first seen, so batching
 * changes nothing about which version wins: a record without a change time stands at the time its
 * delivery arrived, and two versions of one record in a batch are ordered as the database orders
 * them (README, "How records converge").
 */
export async function processBatch(
  db: Kysely<Database>,
  processor: WebhookProcessor,
  events: readonly ClaimedEvent[],
): Promise<EventOutcome[]> {
  const outcomes = new Map<string, EventOutcome>();
  const problems = new Map<string, string[]>();
  const fail = (id: string, reason: string) => problems.set(id, [...(problems.get(id) ?? []), reason]);
  const records: SourceRecord[] = [];
  // Which deliveries stated each record: the engine reports a refused record by its key.
  const owners = new Map<string, string[]>();
  for (const event of events) {
    outcomes.set(event.id, { id: event.id, status: "processed", error: null });
    try {
      const payload = storedJson(event.payload);
      if (payload === undefined) {
        throw new PayloadError("the body is not JSON the database can hold; kept verbatim in the payload");
      }
      const mapped = processor.toRecords(payload);
      if (mapped.ignored && mapped.records.length === 0) {
        outcomes.set(event.id, { id: event.id, status: "ignored", error: mapped.ignored });
        continue;
      }
      for (const record of mapped.records) {
        // A record the engine cannot name cannot be traced back to its delivery: refuse it here.
        if (typeof record?.key !== "string" || record.key.trim() === "" || typeof record.scope !== "string") {
          fail(
            event.id,
            typeof record?.key === "string" && record.key.trim() !== ""
              ? "record has no scope"
              : "record has no key",
          );
          continue;
        }
        records.push({ ...record, seenAt: event.receivedAt });
        owners.set(record.key, [...(owners.get(record.key) ?? []), event.id]);
      }
    } catch (error) {
      fail(event.id, oneLine(error));
    }
  }
  if (records.length > 0) {
    try {
      const counts = await upsertRecords(db, processor.table, records);
      for (const e of counts.errors) {
        for (const id of e.key === null ? [] : owners.get(e.key) ?? []) fail(id, e.reason);
      }
    } catch (error) {
      if (isUnavailable(error)) throw error;
      // Something refused the batch as a whole: each delivery alone, so only its culprit fails.
      if (events.length > 1) return await oneByOne(db, processor, events);
      fail(events[0].id, oneLine(error));
    }
  }
  for (const [id, reasons] of problems) {
    outcomes.set(id, { id, status: "failed", error: [...new Set(reasons)].join("; ").slice(0, 1000) });
  }
  return [...outcomes.values()];
}

async function oneByOne(
  db: Kysely<Database>,
  processor: WebhookProcessor,
  events: readonly ClaimedEvent[],
): Promise<EventOutcome[]> {
  const outcomes: EventOutcome[] = [];
  for (const event of events) outcomes.push(...await processBatch(db, processor, [event]));
  return outcomes;
}
