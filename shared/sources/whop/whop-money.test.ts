import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { whopMoney } from "./whop-money.ts";

describe("whopMoney", () => {
  it("writes JSON numbers as the decimal Whop sent, without float artefacts", () => {
    expect(whopMoney(JSON.parse("49.0"))).toBe("49");
    expect(whopMoney(JSON.parse("45.12"))).toBe("45.12");
    expect(whopMoney(JSON.parse("0.1"))).toBe("0.1");
    expect(whopMoney(JSON.parse("19.99"))).toBe("19.99");
    expect(whopMoney(JSON.parse("1234567.89"))).toBe("1234567.89");
    expect(whopMoney(0)).toBe("0");
    expect(whopMoney(-0)).toBe("0");
    expect(whopMoney(-10.5)).toBe("-10.5");
  });

  it("never uses exponent notation, for very large or very small numbers", () => {
    expect(whopMoney(1e21)).toBe("1000000000000000000000");
    expect(whopMoney(1.5e-7)).toBe("0.00000015");
    expect(whopMoney(JSON.parse("2.5E3"))).toBe("2500");
  });

  it("accepts numeric text and canonicalises it", () => {
    expect(whopMoney("10.430")).toBe("10.43");
    expect(whopMoney(" 007.50 ")).toBe("7.5");
    expect(whopMoney("+3")).toBe("3");
    expect(whopMoney(".5")).toBe("0.5");
    expect(whopMoney("5.")).toBe("5");
    expect(whopMoney("-0.00")).toBe("0");
  });

  it("returns null for what is not an amount", () => {
    const notAmounts = [
      null,
      undefined,
      "",
      " ",
      "abc",
      "1,000.00",
      "$5",
      "1e999",
      "Infinity",
      NaN,
      Infinity,
      {},
      [],
      true,
    ];
    for (const value of notAmounts) {
      expect(whopMoney(value)).toBeNull();
    }
  });

  it("round-trips every finite double exactly and never emits an exponent", () => {
    // Below 1e-40 exponents exceed the bound that keeps hostile input from expanding without limit.
    const amounts = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 })
      .filter((value) => value === 0 || Math.abs(value) >= 1e-40);
    fc.assert(
      fc.property(amounts, (value) => {
        const text = whopMoney(value)!;
        expect(text).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Number(text)).toBe(value === 0 ? 0 : value);
      }),
    );
  });

  it("keeps the exact digits of any cent amount a JSON number can carry", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }), (cents) => {
        const literal = `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
        const expected = literal.replace(/\.?0+$/, "") || "0";
        expect(whopMoney(JSON.parse(literal))).toBe(expected === "" ? "0" : expected);
      }),
    );
  });
});
