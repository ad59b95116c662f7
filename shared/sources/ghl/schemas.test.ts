import { describe, expect, it } from "vitest";
import { ghlContactSchema, workflowContactSchema } from "./schemas.ts";

describe("schemas", () => {
  it("keep fields HighLevel adds that we do not know", () => {
    const contact = ghlContactSchema.parse({ id: "c", locationId: "L", inboundDndSettings: { all: {} } });
    expect(contact.inboundDndSettings).toEqual({ all: {} });
    const workflow = workflowContactSchema.parse({ contact_id: "c", "Favourite colour": "teal" });
    expect(workflow["Favourite colour"]).toBe("teal");
  });

  it("accept custom fields and DND settings of any documented-or-not inner shape", () => {
    const parsed = ghlContactSchema.safeParse({
      id: "c",
      customFields: [{ id: "f", value: ["x", 1] }, { key: "odd" }],
      dndSettings: { SMS: { status: "active" }, WhatsApp: "inactive" },
    });
    expect(parsed.success).toBe(true);
  });

  it("refuse a contact whose mapped fields have the wrong type", () => {
    expect(ghlContactSchema.safeParse({ id: "c", email: 42 }).success).toBe(false);
    expect(ghlContactSchema.safeParse({ id: "c", tags: "a,b" }).success).toBe(false);
    expect(workflowContactSchema.safeParse({ contact_id: 7 }).success).toBe(false);
  });
});
