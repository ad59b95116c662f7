import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PayloadError } from "../../errors.ts";
import { ghlContactsToRecords, ghlContactToRecord, ghlEventToRecords } from "./map-ghl-event.ts";
import { parseGhlEvent } from "./parse-ghl-event.ts";

const fixtureText = (name: string) =>
  readFileSync(new URL(`../../../tests/fixtures/ghl/${name}.json`, import.meta.url), "utf8");

const recordsOf = (body: string) => ghlEventToRecords(parseGhlEvent(body));

describe("ghlEventToRecords", () => {
  it("maps ContactCreate to one record keyed by contact id within its location", () => {
    const body = fixtureText("ContactCreate");
    const { records, ignored } = recordsOf(body);
    expect(ignored).toBeUndefined();
    expect(records).toEqual([
      {
        key: "nmFmQEsNgz6AVpgLVUJ0",
        scope: "ve9EPM428h8vShlRW1KT",
        email: "JohnDeo@gmail.comm",
        name: "John Deo",
        raw: JSON.parse(body),
        changedAt: new Date("2025-01-28T14:30:00.000Z"),
        rank: 1,
        deleted: false,
      },
    ]);
  });

  it.each(["ContactUpdate", "ContactTagUpdate", "ContactDndUpdate"])(
    "maps %s to one live record whose raw is the whole body",
    (type) => {
      const body = fixtureText(type);
      const [record] = recordsOf(body).records;
      expect(record.deleted).toBe(false);
      expect(record.email).toBe("john.deo@example.com");
      expect(record.raw).toEqual(JSON.parse(body));
    },
  );

  it("maps ContactDelete to a tombstone of the same contact", () => {
    const { records } = recordsOf(fixtureText("ContactDelete"));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      key: "nmFmQEsNgz6AVpgLVUJ0",
      scope: "ve9EPM428h8vShlRW1KT",
      deleted: true,
    });
  });

  it("builds the name from firstName and lastName when the body has no name", () => {
    const [record] = recordsOf(fixtureText("ContactUpdate")).records;
    expect(record.name).toBe("John Deo");
    const [onlyFirst] =
      recordsOf('{"type":"ContactUpdate","id":"c","locationId":"L","firstName":"Ana"}').records;
    expect(onlyFirst.name).toBe("Ana");
    const [none] = recordsOf('{"type":"ContactUpdate","id":"c","locationId":"L","name":"  "}').records;
    expect(none.name).toBeNull();
    expect(none.email).toBeNull();
  });

  it("dates the change by the body timestamp, else dateUpdated, else leaves it to the engine", () => {
    const withBoth =
      '{"type":"ContactDndUpdate","id":"c","locationId":"L","timestamp":"2025-02-01T00:00:00Z",' +
      '"dateUpdated":"2025-01-01T00:00:00Z"}';
    expect(recordsOf(withBoth).records[0].changedAt).toEqual(new Date("2025-02-01T00:00:00Z"));
    const onlyUpdated =
      '{"type":"ContactDndUpdate","id":"c","locationId":"L","dateUpdated":"2025-01-01T00:00:00Z"}';
    expect(recordsOf(onlyUpdated).records[0].changedAt).toEqual(new Date("2025-01-01T00:00:00Z"));
    expect(recordsOf('{"type":"ContactUpdate","id":"c","locationId":"L"}').records[0].changedAt).toBeNull();
  });

  it("maps a workflow delivery by contact_id and location.id, keeping the body verbatim", () => {
    const body = fixtureText("workflow");
    const { records } = recordsOf(body);
    expect(records).toEqual([
      {
        key: "bxoY65VIdH7laJEOHB4Y",
        scope: "CDR4h44AJ3Ic84nDuigS",
        email: "jane@example.com",
        name: "Jane Doe",
        raw: JSON.parse(body),
        changedAt: null,
        rank: 0,
        deleted: false,
      },
    ]);
    expect((records[0].raw as { tags: unknown }).tags).toBe("toxins,aspire,won");
  });

  it("names a workflow contact from full_name when first and last names are absent", () => {
    const body = '{"contact_id":"c","location":{"id":"L"},"full_name":"Mo Salah","first_name":""}';
    expect(recordsOf(body).records[0].name).toBe("Mo Salah");
  });

  it("dates a workflow delivery only when its body has a timestamp", () => {
    const body = '{"contact_id":"c","location":{"id":"L"},"timestamp":"2025-03-01T10:00:00Z"}';
    expect(recordsOf(body).records[0].changedAt).toEqual(new Date("2025-03-01T10:00:00Z"));
  });

  it.each(["INSTALL", "OpportunityCreate", "NoteCreate"])(
    "ignores %s with a reason instead of failing",
    (type) => {
      const result = recordsOf(JSON.stringify({ type, locationId: "L", id: "x", webhookId: "w" }));
      expect(result).toEqual({ records: [], ignored: `${type} is not handled` });
    },
  );
});

describe("ghlContactToRecord", () => {
  const apiContact = {
    id: "dgiCUgOxfBh1zxuOPTni",
    locationId: "6KTC6KJMeCaOnBVHstis",
    contactName: "david vines",
    firstName: "david",
    lastName: "vines",
    email: "david@example.com",
    dateAdded: "2025-07-01T11:34:21.668Z",
    dateUpdated: "2025-07-01T11:36:59.827Z",
    tags: ["fa application"],
    customFields: [{ id: "XipmrnXqV46DDxVrDiYS", value: "ig_Instagram_Feed" }],
  };

  it("maps a REST API contact like a webhook contact, dated by dateUpdated", () => {
    expect(ghlContactToRecord(apiContact)).toEqual({
      key: "dgiCUgOxfBh1zxuOPTni",
      scope: "6KTC6KJMeCaOnBVHstis",
      email: "david@example.com",
      name: "david vines",
      raw: apiContact,
      changedAt: new Date("2025-07-01T11:36:59.827Z"),
      rank: 2,
      deleted: false,
    });
  });

  it("does not take contactName as a name when the API filled it with the email", () => {
    const nameless = { id: "c", locationId: "L", email: "jhon@example.com", contactName: "jhon@example.com" };
    expect(ghlContactToRecord(nameless).name).toBeNull();
    expect(ghlContactToRecord({ id: "c", locationId: "L", contactName: "Jo Bloggs" }).name).toBe("Jo Bloggs");
  });

  it("uses the listed location when the contact does not name one", () => {
    expect(ghlContactToRecord({ id: "c" }, "LOC").scope).toBe("LOC");
  });

  it("refuses a value that is not a contact with a PayloadError", () => {
    expect(() => ghlContactToRecord({ email: "x@y.z", locationId: "L" })).toThrow(PayloadError);
    expect(() => ghlContactToRecord("nope")).toThrow(PayloadError);
  });

  it("maps a page without throwing for one bad contact, reporting it by position", () => {
    const { records, errors } = ghlContactsToRecords([apiContact, { locationId: "L" }, { id: "c2" }], "L");
    expect(records.map((r) => r.key)).toEqual(["dgiCUgOxfBh1zxuOPTni", "c2"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual({
      key: null,
      reason: expect.stringMatching(/^contact #1: not a HighLevel contact: id: /),
    });
  });
});
