import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import { isStale, parseGhlEvent, WORKFLOW_EVENT_TYPE } from "./parse-ghl-event.ts";

const fixtureText = (name: string) =>
  readFileSync(new URL(`../../../tests/fixtures/ghl/${name}.json`, import.meta.url), "utf8");

function payloadError(body: string): PayloadError {
  try {
    parseGhlEvent(body);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error("expected a PayloadError");
}

describe("parseGhlEvent", () => {
  it.each([
    ["ContactCreate", "wh_create_6794e9a8c1f0", "2025-01-28T14:30:00.000Z"],
    ["ContactUpdate", "wh_update_6794eab4d2a1", "2025-01-28T14:35:00.000Z"],
    ["ContactDelete", "wh_delete_6795f0ccab12", "2025-01-29T09:12:44.000Z"],
    ["ContactTagUpdate", "wh_tags_6794f0f9e3b4", "2025-01-28T15:02:17.000Z"],
    ["ContactDndUpdate", "wh_dnd_6795091d7a55", "2025-01-28T16:45:09.000Z"],
  ])(
    "reads the %s fixture as a marketplace contact event with its delivery id and time",
    (type, id, sent) => {
      const event = parseGhlEvent(fixtureText(type));
      expect(event.kind).toBe("marketplace");
      expect(event.type).toBe(type);
      expect(event.deliveryId).toBe(id);
      expect(event.sentAt?.toISOString()).toBe(sent);
      expect(event.contact?.id).toBe("nmFmQEsNgz6AVpgLVUJ0");
      expect(event.contact?.locationId).toBe("ve9EPM428h8vShlRW1KT");
    },
  );

  it("keeps the body exactly as received, unknown and nested fields included", () => {
    const text = fixtureText("ContactDndUpdate").replace(
      '"dnd": true',
      '"dnd": true, "brandNew": {"x": [1]}',
    );
    const event = parseGhlEvent(text);
    expect(event.body).toEqual(JSON.parse(text));
    expect(event.body.brandNew).toEqual({ x: [1] });
  });

  it("reads the workflow fixture, splitting its comma-separated tags in the contact view", () => {
    const event = parseGhlEvent(fixtureText("workflow"));
    expect(event).toMatchObject({
      kind: "workflow",
      type: WORKFLOW_EVENT_TYPE,
      deliveryId: null,
      sentAt: null,
    });
    expect(event.contact).toMatchObject({
      id: "bxoY65VIdH7laJEOHB4Y",
      locationId: "CDR4h44AJ3Ic84nDuigS",
      email: "jane@example.com",
      name: "Jane Doe",
      tags: ["toxins", "aspire", "won"],
    });
    expect(event.body.tags).toBe("toxins,aspire,won");
  });

  it("parses non-contact marketplace events with no contact, so they can be stored and ignored", () => {
    const event = parseGhlEvent('{"type":"INSTALL","appId":"a1","locationId":"L1","webhookId":"w1"}');
    expect(event).toMatchObject({ kind: "marketplace", type: "INSTALL", deliveryId: "w1", contact: null });
  });

  it("allows a marketplace event without webhookId or timestamp (the documented ContactCreate has neither)", () => {
    const event = parseGhlEvent('{"type":"ContactCreate","id":"c1","locationId":"L1"}');
    expect(event.deliveryId).toBeNull();
    expect(event.sentAt).toBeNull();
  });

  it("gives an unreadable timestamp no sentAt instead of refusing the event", () => {
    const event = parseGhlEvent('{"type":"ContactUpdate","id":"c1","locationId":"L1","timestamp":"soon"}');
    expect(event.sentAt).toBeNull();
  });

  it("refuses invalid JSON and non-object JSON with one-line reasons", () => {
    expect(payloadError("{not json").message).toBe("body is not valid JSON");
    expect(payloadError("[1,2]").message).toBe("body is not a JSON object");
    expect(payloadError("null").message).toBe("body is not a JSON object");
  });

  it("refuses a body that is neither shape", () => {
    expect(payloadError('{"hello":"world"}').message).toBe(
      'body is neither a marketplace event (no "type") nor a workflow webhook (no "contact_id")',
    );
  });

  it("refuses a contact event without a contact id, naming the field and keeping zod's issues", () => {
    const error = payloadError('{"type":"ContactUpdate","locationId":"L1","email":"a@b.c"}');
    expect(error.message).toMatch(/^ContactUpdate body is invalid: id: /);
    expect(error.message).not.toContain("\n");
    expect(error.issues.length).toBeGreaterThan(0);
  });

  it("refuses a contact event without a location, since the location is the record's scope", () => {
    expect(payloadError('{"type":"ContactUpdate","id":"c1"}').message).toBe(
      "contact c1 names no location id",
    );
    expect(payloadError('{"contact_id":"c1","email":"a@b.c"}').message).toBe(
      "contact c1 names no location id",
    );
  });

  it("never throws anything but PayloadError, whatever the body", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (body) => {
        try {
          parseGhlEvent(body);
        } catch (error) {
          expect(error).toBeInstanceOf(PayloadError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("isStale", () => {
  const now = new Date("2025-01-28T15:00:00Z");

  it("refuses a delivery older than the window and accepts one inside it", () => {
    expect(isStale(new Date("2025-01-28T14:54:59Z"), now, 300)).toBe(true);
    expect(isStale(new Date("2025-01-28T14:55:00Z"), now, 300)).toBe(false);
  });

  it("uses a 300-second window by default", () => {
    expect(isStale(new Date(now.getTime() - 301_000), now)).toBe(true);
    expect(isStale(new Date(now.getTime() - 299_000), now)).toBe(false);
  });

  it("allows a delivery without a timestamp and one from the future", () => {
    expect(isStale(null, now, 300)).toBe(false);
    expect(isStale(new Date(now.getTime() + 3_600_000), now, 300)).toBe(false);
  });
});
