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

  it("equals the SHA-256 digests stored rows were keyed by (hex of the canonical row's UTF-8 bytes)", () => {
    // Computed by the hand-written SHA-256 this hash used before node:crypto: rows already in
    // sheet_data and elective_data keep their keys. "[]" is the empty row; its digest is SHA-256("[]").
    expect(rowHashSync({}, 0)).toBe("4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945");
    expect(rowHashSync(row, 0)).toBe("71ae3c9b20bb93b01637e4d5acff63175262e5af6cc15dbba95061fe66669ecd");
    expect(rowHashSync(row, 2)).toBe("5d67cee80430032336c9b410cc01bf41c76a75d4bd73613c87b022cbab013fb9");
    const unicode = { "E-mail": "zoë@exämple.com", Name: "Zoë Ñúñez 李雷 😀", Amount: 1234.5, Paid: true };
    expect(rowHashSync(unicode, 0)).toBe("aa4014857a58d90398a8d7066c83b28699e400287aa0d634c82a9d31efab48f4");
    const surrogate = { Note: "lone \ud800 surrogate", Amount: "€1.234,56" };
    expect(rowHashSync(surrogate, 1)).toBe(
      "809aa03026f98621601d6802d5a5df0e8cc2d1ce9f4e4961f3fda1c459fd7c70",
    );
  });

  it("equals WebCrypto's SHA-256 of the canonical row for any text, multi-byte and lone surrogates included (property)", async () => {
    const text = fc.string({ unit: "binary", maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(text, text, { maxKeys: 4 }), fc.nat(3), async (r, occurrence) => {
        const canonical = canonicalRow(r);
        const expected = await sha256Hex(occurrence === 0 ? canonical : `${canonical}\n#${occurrence}`);
        expect(rowHashSync(r, occurrence)).toBe(expected);
      }),
      { numRuns: 150 },
    );
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
