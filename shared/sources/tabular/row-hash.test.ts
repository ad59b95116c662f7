import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sha256Hex } from "../../crypto/encoding.ts";
import { canonicalRow, rowHash, RowHasher, rowHashSync } from "./row-hash.ts";

const row = { Email: "ann@example.com", Name: "Ann", Amount: "$10.00", Date: "3/4/2024" };

describe("rowHash", () => {
  it("is the SHA-256 of the canonical row, as WebCrypto computes it", async () => {
    expect(await rowHash(row, 0)).toBe(await sha256Hex(canonicalRow(row)));
    expect(await rowHash(row, 0)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps the hash when columns move, headers change case or spacing, or cells gain padding", async () => {
    const moved = { " date ": "3/4/2024", AMOUNT: " $10.00", name: "Ann ", "E mail": "x" };
    const same = { Date: "3/4/2024", Amount: "$10.00", Name: "Ann", "e  mail": "x" };
    expect(await rowHash(moved, 0)).toBe(await rowHash(same, 0));
  });

  it("keeps the hash when an empty column is added", async () => {
    expect(await rowHash({ ...row, Notes: "", Extra: null }, 0)).toBe(await rowHash(row, 0));
  });

  it("changes the hash when any cell's text changes", async () => {
    expect(await rowHash({ ...row, Amount: "$10.01" }, 0)).not.toBe(await rowHash(row, 0));
  });

  it("gives identical rows different hashes by occurrence", async () => {
    const hashes = new Set([await rowHash(row, 0), await rowHash(row, 1), await rowHash(row, 2)]);
    expect(hashes.size).toBe(3);
  });

  it("cannot be fooled by cell text that imitates a separator", async () => {
    expect(await rowHash({ a: "1", b: "2" }, 0)).not.toBe(await rowHash({ a: '1"],["b","2' }, 0));
  });

  it("refuses a negative or fractional occurrence", () => {
    expect(() => rowHashSync(row, -1)).toThrow(RangeError);
    expect(() => rowHashSync(row, 0.5)).toThrow(RangeError);
  });

  it("does not depend on key order for any row (property)", async () => {
    const rows = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
      { maxKeys: 8 },
    );
    await fc.assert(
      fc.asyncProperty(rows, fc.nat(5), async (r, occurrence) => {
        const reversed = Object.fromEntries(Object.entries(r).reverse());
        expect(await rowHash(reversed, occurrence)).toBe(await rowHash(r, occurrence));
      }),
      { numRuns: 300 },
    );
  });
});

describe("RowHasher", () => {
  it("counts identical rows across chunks so two identical purchases stay two records", () => {
    const hasher = new RowHasher();
    const [first] = hasher.hashAll([row]);
    const [second, other] = hasher.hashAll([{ ...row, Name: " Ann" }, { ...row, Amount: "$11" }]);
    expect(first).toBe(rowHashSync(row, 0));
    expect(second).toBe(rowHashSync(row, 1));
    expect(other).toBe(rowHashSync({ ...row, Amount: "$11" }, 0));
  });

  it("gives every row of a sheet a distinct key, duplicates included (property)", () => {
    const sheet = fc.array(
      fc.record({ email: fc.constantFrom("a@x", "b@x"), amount: fc.constantFrom("1", "2") }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(sheet, (rows) => {
        const keys = new RowHasher().hashAll(rows);
        expect(new Set(keys).size).toBe(rows.length);
      }),
    );
  });
});
