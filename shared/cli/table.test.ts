import { describe, expect, it } from "vitest";
import { formatTable } from "./table.ts";

describe("formatTable", () => {
  it("aligns text left and money right under a rule", () => {
    expect(formatTable(["who", "usd"], [["ann", "5.00"], ["bob", "1200.50"]])).toBe(
      ["who      usd", "---  -------", "ann     5.00", "bob  1200.50"].join("\n"),
    );
  });
});
