import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KeyTally } from "./key-tally.ts";

const tallyOf = (keys: string[]) => {
  const t = new KeyTally();
  keys.forEach((k) => t.add(k));
  return t.value;
};

describe("KeyTally", () => {
  it("is the same however the keys were split or ordered (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 40 }), fc.nat(), (keys, seed) => {
        const shuffled = [...keys].sort((a, b) => ((a + seed).localeCompare(b + seed)));
        expect(tallyOf(shuffled)).toBe(tallyOf(keys));
      }),
    );
  });

  it("changes when one key changes, is added or is dropped", () => {
    const keys = Array.from({ length: 100 }, (_, i) => `row-${i}`);
    const base = tallyOf(keys);
    expect(tallyOf([...keys.slice(0, 50), "row-50x", ...keys.slice(51)])).not.toBe(base);
    expect(tallyOf([...keys, "row-100"])).not.toBe(base);
    expect(tallyOf(keys.slice(1))).not.toBe(base);
  });

  it("tells a repeated key from a single one", () => {
    expect(tallyOf(["a", "a"])).not.toBe(tallyOf(["a"]));
  });
});
