import { describe, expect, it } from "vitest";
import { contactFromWorkflow, splitTags } from "./ghl-contact.ts";

describe("splitTags", () => {
  it("splits a comma-separated string, trimming and dropping blanks", () => {
    expect(splitTags(" toxins, aspire,,won ,")).toEqual(["toxins", "aspire", "won"]);
  });

  it("keeps a list and treats absent tags as none", () => {
    expect(splitTags(["a", " b ", ""])).toEqual(["a", "b"]);
    expect(splitTags(null)).toEqual([]);
    expect(splitTags("")).toEqual([]);
  });
});

describe("contactFromWorkflow", () => {
  it("takes the location from a top-level location_id when a custom body has no location object", () => {
    expect(contactFromWorkflow({ contact_id: "c", location_id: "L" }).locationId).toBe("L");
  });
});
