import { describe, expect, it } from "vitest";
import { parseGhlDate } from "./ghl-date.ts";

describe("parseGhlDate", () => {
  it("reads the ISO timestamps HighLevel puts in webhooks", () => {
    expect(parseGhlDate("2025-01-28T14:35:00Z")?.toISOString()).toBe("2025-01-28T14:35:00.000Z");
  });

  it("reads epoch milliseconds (cursors) and epoch seconds, as numbers or digit strings", () => {
    expect(parseGhlDate(1720000000000)?.toISOString()).toBe("2024-07-03T09:46:40.000Z");
    expect(parseGhlDate(1720000000)?.toISOString()).toBe("2024-07-03T09:46:40.000Z");
    expect(parseGhlDate("1720000000000")?.toISOString()).toBe("2024-07-03T09:46:40.000Z");
  });

  it("gives null for absent or unreadable values instead of an Invalid Date", () => {
    for (const value of [undefined, null, "", "  ", "yesterday", Number.NaN, {}, true, 1e20]) {
      expect(parseGhlDate(value)).toBeNull();
    }
  });
});
