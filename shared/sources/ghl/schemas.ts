/**
 * zod schemas for what HighLevel sends (sources.md 3.3–3.5). Every object schema is loose: unknown
 * fields are kept, because HighLevel adds fields without notice and we store the body verbatim.
 *
 * Fields we map are typed as documented. Fields we only store (custom fields, DND settings) are
 * typed as loosely as their documentation allows, so an unexpected shape there never costs us a
 * contact.
 */

import { z } from "zod";

/** The marketplace event types that carry a contact. */
export const GHL_CONTACT_EVENT_TYPES = [
  "ContactCreate",
  "ContactUpdate",
  "ContactDelete",
  "ContactTagUpdate",
  "ContactDndUpdate",
] as const;

/** One of `GHL_CONTACT_EVENT_TYPES`. */
export type GhlContactEventType = (typeof GHL_CONTACT_EVENT_TYPES)[number];

const optionalText = z.string().nullish();
/** An instant: HighLevel documents ISO strings; epoch numbers are tolerated. */
const optionalInstant = z.union([z.string(), z.number()]).nullish();

/** What every marketplace delivery has: a `type`, usually a `webhookId` and a `timestamp`. */
export const marketplaceEnvelopeSchema = z.looseObject({
  type: z.string().min(1),
  webhookId: optionalText,
  timestamp: optionalInstant,
  locationId: optionalText,
});

/**
 * A contact in HighLevel's camelCase shape: the flat body of a marketplace contact event, and also
 * an element of `GET /contacts/` (which adds `contactName` and `dateUpdated`, and has no `type`).
 */
export const ghlContactSchema = z.looseObject({
  type: optionalText,
  id: z.string().min(1),
  locationId: optionalText,
  email: optionalText,
  name: optionalText,
  firstName: optionalText,
  lastName: optionalText,
  contactName: optionalText,
  phone: optionalText,
  tags: z.array(z.string()).nullish(),
  customFields: z.array(z.unknown()).nullish(),
  dnd: z.boolean().nullish(),
  dndSettings: z.record(z.string(), z.unknown()).nullish(),
  dateAdded: optionalText,
  dateUpdated: optionalText,
  timestamp: optionalInstant,
  webhookId: optionalText,
});

/** A camelCase contact as validated by `ghlContactSchema`. */
export type GhlContactBody = z.infer<typeof ghlContactSchema>;

/**
 * The body of a workflow "Webhook" action (from a real capture, not from docs): snake_case keys,
 * `tags` as one comma-separated string, the location as an object, and no delivery id.
 */
export const workflowContactSchema = z.looseObject({
  contact_id: z.string().min(1),
  first_name: optionalText,
  last_name: optionalText,
  full_name: optionalText,
  email: optionalText,
  phone: optionalText,
  tags: z.union([z.string(), z.array(z.string())]).nullish(),
  date_created: optionalText,
  location: z.looseObject({ id: optionalText, name: optionalText }).nullish(),
  workflow: z.looseObject({ id: optionalText, name: optionalText }).nullish(),
  customData: z.record(z.string(), z.unknown()).nullish(),
  timestamp: optionalInstant,
});

/** A workflow body as validated by `workflowContactSchema`. */
export type WorkflowContactBody = z.infer<typeof workflowContactSchema>;
