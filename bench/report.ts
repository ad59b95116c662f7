/**
 * Check: one line of the benchmark table — a figure measured by the project beside the baseline(s)
 * measured in the same run, the ratio between them and the target that ratio must reach.
 */

/** One measured figure and its verdict. */
export interface Check {
  scenario: string;
  /** The project's figure, formatted (`"41,200 rec/s"`). */
  figure: string;
  /** The baseline figure(s), formatted; `"—"` when the target is absolute. */
  baselines: string;
  /** The project's figure over the baseline's, or the absolute value checked; `null` when informational. */
  ratio: number | null;
  /** The target as printed (`">= 30x"`, `"<= 0.3"`, `"0"`). */
  target: string;
  /** `null` for an informational line that has no target. */
  ok: boolean | null;
}

/** What one scenario returns: its table lines and the raw measurements for results.json. */
export interface ScenarioResult {
  name: string;
  checks: Check[];
  measurements: Record<string, unknown>;
  notes: string[];
}

/** A ratio check: `figure / baseline` against `>= min` or `<= max`. */
export function ratioCheck(
  scenario: string,
  figure: string,
  baselines: string,
  ratio: number,
  target: { atLeast: number } | { atMost: number },
): Check {
  const ok = "atLeast" in target ? ratio >= target.atLeast : ratio <= target.atMost;
  const printed = "atLeast" in target ? `>= ${target.atLeast}x` : `<= ${target.atMost}x`;
  return { scenario, figure, baselines, ratio, target: printed, ok };
}

/** An absolute check (`p99 < 50 ms`, `lost = 0`) whose value is not a ratio; a baseline may be shown beside it. */
export function absoluteCheck(
  scenario: string,
  figure: string,
  target: string,
  ok: boolean | null,
  baselines = "—",
): Check {
  return { scenario, figure, baselines, ratio: null, target, ok };
}

/** `12345.6` → `"12,346"`; small numbers keep `digits` decimals. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A rate with its unit, to three significant figures. */
export function rate(perSecond: number, unit: string): string {
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2;
  return `${num(perSecond, digits)} ${unit}/s`;
}

/** Milliseconds, to a sensible precision. */
export function ms(value: number): string {
  return value >= 100 ? `${num(value)} ms` : `${num(value, value >= 10 ? 1 : 2)} ms`;
}

function ratioText(check: Check): string {
  if (check.ratio === null) return "—";
  const r = check.ratio;
  const digits = Math.abs(r) >= 100 ? 0 : Math.abs(r) >= 10 ? 1 : 2;
  return `${num(r, digits)}x`;
}

function verdict(check: Check): string {
  return check.ok === null ? "—" : check.ok ? "OK" : "MISS";
}

/** The checks as an aligned plain-text table. */
export function formatTable(checks: readonly Check[]): string {
  const header = ["scenario", "figure", "baseline(s)", "ratio", "target", "OK/MISS"];
  const rows = checks.map((c) => [c.scenario, c.figure, c.baselines, ratioText(c), c.target, verdict(c)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** The checks as a Markdown table, for the README. */
export function formatMarkdown(checks: readonly Check[]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    "| scenario | figure | baseline(s) | ratio | target | OK/MISS |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const c of checks) {
    lines.push(
      `| ${esc(c.scenario)} | ${esc(c.figure)} | ${esc(c.baselines)} | ${ratioText(c)} | ${esc(c.target)} | ${
        verdict(c)
      } |`,
    );
  }
  return lines.join("\n");
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
