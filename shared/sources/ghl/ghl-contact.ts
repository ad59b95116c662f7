/**
 * The normalised view of a HighLevel contact. Webhooks, workflow actions and the REST API each
 * describe a contact in their own shape; this is the one the mapper reads, so the three shapes
 * meet in one place. The raw body is kept separately and stored verbatim.
 */

import { PayloadError } from "../../errors.ts";
import { parseGhlDate } from "./ghl-date.ts";
import type { GhlContactBody, WorkflowContactBody } from "./schemas.ts";

/** A contact as we read it, whatever shape it arrived in. */
export interface GhlContact {
  /** HighLevel's contact id. */
  id: string;
  /** The location (sub-account) the contact belongs to. */
  locationId: string;
  email: string | null;
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  /** Tags as a list (workflow bodies send one comma-separated string). */
  tags: string[];
  dateAdded: Date | null;
  /** Only the REST API (and some DND events) state it; contact webhooks mostly do not. */
  dateUpdated: Date | null;
}

/**
 * The view of a camelCase contact (a marketplace event body or a REST API contact).
 *
 * @param fallbackLocationId used when the contact does not name its location (a backfill knows
 *   which location it lists).
 * @throws PayloadError when no location is known.
 */
export function contactFromBody(body: GhlContactBody, fallbackLocationId?: string): GhlContact {
  const email = nonBlank(body.email);
  const contactName = nonBlank(body.contactName);
  return {
    id: body.id,
    locationId: requireLocation(nonBlank(body.locationId) ?? nonBlank(fallbackLocationId), body.id),
    email,
    // The API fills `contactName` with the email when a contact has no name: that is no name.
    name: nonBlank(body.name) ?? joinName(body.firstName, body.lastName) ??
      (contactName !== null && contactName !== email ? contactName : null),
    firstName: nonBlank(body.firstName),
    lastName: nonBlank(body.lastName),
    phone: nonBlank(body.phone),
    tags: body.tags ?? [],
    dateAdded: parseGhlDate(body.dateAdded),
    dateUpdated: parseGhlDate(body.dateUpdated),
  };
}

/**
 * The view of a workflow webhook body.
 *
 * @throws PayloadError when the body names no location (`location.id`, or a top-level
 *   `location_id` / `locationId` that a custom body may use instead).
 */
export function contactFromWorkflow(body: WorkflowContactBody): GhlContact {
  const location = nonBlank(body.location?.id) ?? nonBlank(body["location_id"]) ??
    nonBlank(body["locationId"]);
  return {
    id: body.contact_id,
    locationId: requireLocation(location, body.contact_id),
    email: nonBlank(body.email),
    name: joinName(body.first_name, body.last_name) ?? nonBlank(body.full_name),
    firstName: nonBlank(body.first_name),
    lastName: nonBlank(body.last_name),
    phone: nonBlank(body.phone),
    tags: splitTags(body.tags),
    dateAdded: parseGhlDate(body.date_created),
    dateUpdated: null,
  };
}

/** `"a, b,,c"` → `["a", "b", "c"]`; a list is kept as it is, minus blanks. */
export function splitTags(tags: string | string[] | null | undefined): string[] {
  const list = typeof tags === "string" ? tags.split(",") : tags ?? [];
  return list.map((tag) => tag.trim()).filter((tag) => tag !== "");
}

function requireLocation(locationId: string | null, contactId: string): string {
  if (locationId === null) throw new PayloadError(`contact ${contactId} names no location id`);
  return locationId;
}

function joinName(first: unknown, last: unknown): string | null {
  return nonBlank([nonBlank(first), nonBlank(last)].filter((part) => part !== null).join(" "));
}

function nonBlank(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}
