/**
 * formatTable: rows as an aligned plain-text table; numbers (and money strings) align right.
 *
 * @example
 * formatTable(["month", "net_usd"], [["2026-01", "120.00"]])
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))));
  const numeric = headers.map((_, i) =>
    cells.length > 0 && cells.every((r) => /^-?[\d,]*\.?\d*$/.test(r[i] ?? ""))
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}
