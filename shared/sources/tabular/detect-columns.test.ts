import { describe, expect, it } from "vitest";
import { detectColumns, headerKey } from "./detect-columns.ts";

describe("detectColumns", () => {
  it("finds the usual headers whatever their case, spacing and punctuation", () => {
    const result = detectColumns(["  E-MAIL ", "Full Name", "Order Total", "Purchase Date", "currency"]);
    expect(result.map).toEqual({
      email: "  E-MAIL ",
      name: "Full Name",
      amount: "Order Total",
      date: "Purchase Date",
      currency: "currency",
    });
    expect(result.detected).toContain("email ← '  E-MAIL '");
    expect(result.missing).toEqual([]);
  });

  it("recognises each common spelling", () => {
    const cases: [string, string][] = [
      ["Email Address", "email"],
      ["Customer Email", "email"],
      ["Customer Name", "name"],
      ["Student Name", "name"],
      ["Customer", "name"],
      ["Total", "amount"],
      ["Price", "amount"],
      ["Created At", "date"],
      ["Created", "date"],
      ["Timestamp", "date"],
      ["Currency Code", "currency"],
    ];
    for (const [header, field] of cases) {
      expect(detectColumns([header]).map, header).toEqual({ [field]: header });
    }
  });

  it("lets the source's column_map win over detection, matched loosely", () => {
    const result = detectColumns(["Email", "Contact", "Amount", "Paid (USD)"], {
      email: "contact",
      amount: "Paid (USD)",
    });
    expect(result.map.email).toBe("Contact");
    expect(result.map.amount).toBe("Paid (USD)");
    expect(result.detected).toContain("amount ← 'Paid (USD)' (column_map)");
  });

  it("reports a column_map header the sheet lacks instead of guessing another", () => {
    const result = detectColumns(["Email", "Amount"], { amount: "Gross" });
    expect(result.map.amount).toBeUndefined();
    expect(result.missing).toContain("amount");
    expect(result.errors[0]).toContain("'Gross'");
  });

  it("prefers the better candidate and never gives one header two fields", () => {
    const result = detectColumns(["Price", "Total", "Customer", "Customer Name"]);
    expect(result.map.amount).toBe("Total");
    expect(result.map.name).toBe("Customer Name");
  });

  it("finds an email column by any header containing 'email'", () => {
    expect(detectColumns(["Billing E-mail (primary)"]).map.email).toBe("Billing E-mail (primary)");
  });

  it("falls back to first and last name columns when there is no name column", () => {
    const result = detectColumns(["First Name", "Last Name", "Email"]);
    expect(result.map).toMatchObject({ firstName: "First Name", lastName: "Last Name" });
    expect(result.missing).not.toContain("name");
  });

  it("lists the fields it could not find", () => {
    expect(detectColumns(["Notes"]).missing).toEqual(["email", "name", "amount", "date", "currency"]);
  });
});

describe("headerKey", () => {
  it("drops case, spaces and punctuation but keeps letters of any script", () => {
    expect(headerKey(" E-mail Address ")).toBe("emailaddress");
    expect(headerKey("Montant (€)")).toBe("montant");
    expect(headerKey("Prénom")).toBe("prénom");
  });
});
