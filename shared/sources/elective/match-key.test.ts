import { describe, expect, it } from "vitest";
import { canonicalAmount, electiveMatchKey } from "./match-key.ts";

describe("electiveMatchKey", () => {
  const base = {
    date: new Date("2024-03-04T15:22:10Z"),
    total: "1799.99",
    name: "Ann Lee",
    product: "Coaching",
  };

  it("is the same for the same purchase written differently", () => {
    const key = electiveMatchKey(base);
    expect(key).toBe("m:2024-03-04T15:22|1799.99|ann lee#coaching");
    expect(electiveMatchKey({
      date: new Date("2024-03-04T15:22:00Z"),
      total: "1799.990",
      name: "  ANN   lee ",
      product: "COACHING",
    })).toBe(key);
  });

  it("differs for another minute, total or name, and is null without one of them", () => {
    const key = electiveMatchKey(base);
    expect(electiveMatchKey({ ...base, date: new Date("2024-03-04T15:23:00Z") })).not.toBe(key);
    expect(electiveMatchKey({ ...base, total: "1800" })).not.toBe(key);
    expect(electiveMatchKey({ ...base, name: "Ann Leigh" })).not.toBe(key);
    expect(electiveMatchKey({ ...base, name: null })).toBeNull();
    expect(electiveMatchKey({ ...base, total: null })).toBeNull();
    expect(electiveMatchKey({ ...base, date: null })).toBeNull();
    expect(electiveMatchKey({ ...base, product: null })).toBe("m:2024-03-04T15:22|1799.99|ann lee#");
  });

  it("writes amounts canonically", () => {
    expect(["1800.00", "1800", "01800.0", "0.50", "-0.0", "1799.990"].map(canonicalAmount))
      .toEqual(["1800", "1800", "1800", "0.5", "0", "1799.99"]);
  });
});
