import { describe, expect, it } from "vitest";
import { currencyOf, isCurrencyCode, leadingSymbol, trailingSymbol } from "./currency-code.ts";

describe("currencyOf", () => {
  it("reads ISO codes in any case and unambiguous symbols", () => {
    expect(currencyOf(" usd ")).toBe("USD");
    expect(currencyOf("€")).toBe("EUR");
    expect(currencyOf("R$")).toBe("BRL");
  });

  it("refuses ambiguous symbols and words that are not codes", () => {
    expect(currencyOf("$")).toBeNull();
    expect(currencyOf("kr")).toBeNull();
    expect(currencyOf("dollars")).toBeNull();
    expect(currencyOf("ABC")).toBeNull();
  });
});

describe("symbols", () => {
  it("matches the longest symbol first, at either end", () => {
    expect(leadingSymbol("US$12")?.[0]).toBe("US$");
    expect(trailingSymbol("12 R$")?.[0]).toBe("R$");
    expect(leadingSymbol("12")).toBeNull();
  });

  it("knows active ISO 4217 codes only", () => {
    expect(isCurrencyCode("GBP")).toBe(true);
    expect(isCurrencyCode("XAU")).toBe(false);
    expect(isCurrencyCode("gbp")).toBe(false);
  });
});
