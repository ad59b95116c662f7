import { describe, expect, it } from "vitest";
import { listHeaders } from "./row-mapper.ts";

describe("listHeaders", () => {
  it("quotes a short header list whole", () => {
    expect(listHeaders(["Email", "Total"])).toBe("'Email', 'Total'");
  });

  it("shortens a long header list for messages", () => {
    const many = Array.from({ length: 14 }, (_, i) => `H${i}`);
    expect(listHeaders(many)).toBe(
      "'H0', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'H7', 'H8', 'H9', … (14 columns)",
    );
  });
});
