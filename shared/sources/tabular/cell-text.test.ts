import { describe, expect, it } from "vitest";
import { cellText } from "./cell-text.ts";

describe("cellText", () => {
  it("trims text, writes numbers and booleans as they are, and reads a missing cell as empty", () => {
    expect(cellText("  ann@example.com ")).toBe("ann@example.com");
    expect(cellText(12.5)).toBe("12.5");
    expect(cellText(true)).toBe("true");
    expect(cellText(null)).toBe("");
    expect(cellText(undefined)).toBe("");
  });
});
