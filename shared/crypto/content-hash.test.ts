import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { contentHash } from "./content-hash.ts";

describe("contentHash", () => {
  it("is 44 base64 characters and the same for the same text", () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(contentHash(s)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(contentHash(s)).toBe(contentHash(String(s)));
    }));
  });

  it("tells apart texts that differ in one character", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), (s, at) => {
        const i = at % s.length;
        const changed = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) + 1) % 65536) + s.slice(i + 1);
        expect(contentHash(changed)).not.toBe(contentHash(s));
      }),
      { numRuns: 2000 },
    );
  });
});
