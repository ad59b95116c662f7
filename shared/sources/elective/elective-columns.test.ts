import { describe, expect, it } from "vitest";
import { detectElectiveColumns } from "./elective-columns.ts";

describe("detectElectiveColumns", () => {
  it("names the required columns an export lacks", () => {
    const result = detectElectiveColumns(["Purchase Date", "Customer Name", "Order Total"]);
    expect(result.missingRequired).toEqual(["status"]);
    expect(result.columns.email).toBeUndefined();
  });

  it("matches headers whatever their case and spacing, and the combined 'Customer / Student Name'", () => {
    const result = detectElectiveColumns([
      "PURCHASE DATE",
      "Customer / Student Name",
      "checkout / product purchased",
      "order total",
      "NET AMOUNT",
      "Status",
    ]);
    expect(result.columns).toMatchObject({
      purchaseDate: "PURCHASE DATE",
      name: "Customer / Student Name",
      product: "checkout / product purchased",
      orderTotal: "order total",
      netAmount: "NET AMOUNT",
      status: "Status",
    });
  });
});

describe("detectElectiveColumns, by content", () => {
  it("takes a column of mostly email addresses as the email when no header says so", () => {
    const sample = [{ Contact: "a@x.com", Notes: "vip" }, { Contact: "b@y.org", Notes: "" }, {
      Contact: "",
      Notes: "c@z.io",
    }];
    expect(detectElectiveColumns(["Contact", "Notes"], sample).columns.email).toBe("Contact");
    expect(detectElectiveColumns(["Contact", "Notes"], [{ Contact: "call me", Notes: "x" }]).columns.email)
      .toBeUndefined();
  });
});
