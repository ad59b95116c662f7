/**
 * Maps HighLevel contacts to the common `SourceRecord`: the webhook events (marketplace and
 * workflow) and the REST API's contacts go through the same normalised `GhlContact`, so a contact
 * maps the same way however it reached us.
 */

import { oneLine, PayloadError } from "../../errors.ts";
import type { SourceRecord } from "../../sync/record.ts";
import type { RecordError } from "../../sync/normalize.ts";
import { contactFromBody, type GhlContact } from "./ghl-contact.ts";
import type { GhlEvent } from "./parse-ghl-event.ts";
import { ghlContactSchema } from "./schemas.ts";

/**
 * The records a delivery states: one for a contact event or workflow delivery (a tombstone for
 * `ContactDelete`), none for other event types, with the reason in `ignored`.
 *
 * `changedAt` is the body's `timestamp`, else the contact's `dateUpdated`, else `null` (the engine
 * then uses the time the delivery was first received).
 */
export function ghlEventToRecords(event: GhlEvent): { records: SourceRecord[]; ignored?: string } {
  if (event.contact === null) return { records: [], ignored: `${event.type} is not handled` };
  const record = contactRecord(event.contact, event.body, event.sentAt, CONTACT_RANK[event.type] ?? 0);
  if (event.type === "ContactDelete") record.deleted = true;
  return { records: [record] };
}

/**
 * A contact's lifecycle, for versions of one change time: created < updated (fields, tags, DND, or
 * read from the REST API) < deleted. A workflow delivery says nothing (0): the later-received wins.
 */
const CONTACT_RANK: Readonly<Record<string, number>> = {
  ContactCreate: 1,
  ContactUpdate: 2,
  ContactTagUpdate: 2,
  ContactDndUpdate: 2,
  ContactDelete: 3,
};
const REST_CONTACT_RANK = 2;

/**
 * The record of one contact from the REST API (`GET /contacts/`), whose camelCase shape is the
 * marketplace events' shape plus `contactName` and `dateUpdated`. `raw` is the contact verbatim.
 *
 * @param locationId the location being listed, used when the contact does not name its own.
 * @throws PayloadError when the value is not a contact (no `id`, or fields of the wrong type).
 */
export function ghlContactToRecord(contact: unknown, locationId?: string): SourceRecord {
  const parsed = ghlContactSchema.safeParse(contact);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PayloadError(`not a HighLevel contact: ${issue.path.join(".") || "(root)"}: ${issue.message}`, [
      ...parsed.error.issues,
    ]);
  }
  const view = contactFromBody(parsed.data, locationId);
  return contactRecord(view, contact, null, REST_CONTACT_RANK);
}

/**
 * `ghlContactToRecord` over a page, never throwing for one bad contact: the bad ones are listed in
 * `errors` (one line each, with the contact's position in the page).
 */
export function ghlContactsToRecords(
  contacts: unknown[],
  locationId?: string,
): { records: SourceRecord[]; errors: RecordError[] } {
  const records: SourceRecord[] = [];
  const errors: RecordError[] = [];
  contacts.forEach((contact, index) => {
    try {
      records.push(ghlContactToRecord(contact, locationId));
    } catch (error) {
      const id = (contact as { id?: unknown } | null)?.id;
      errors.push({
        key: typeof id === "string" && id !== "" ? id : null,
        reason: `contact #${index}: ${oneLine(error)}`,
      });
    }
  });
  return { records, errors };
}

function contactRecord(contact: GhlContact, raw: unknown, sentAt: Date | null, rank: number): SourceRecord {
  return {
    rank,
    key: contact.id,
    scope: contact.locationId,
    email: contact.email,
    name: contact.name,
    raw,
    changedAt: sentAt ?? contact.dateUpdated,
    deleted: false,
  };
}
