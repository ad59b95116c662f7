/**
 * A1 notation for Sheets API ranges (`'Sales 2024'!A1:Z`), read and written, so a pull can ask
 * for the header row and then one slice of rows at a time.
 */

/** A range as parts; `null` parts are open (whole sheet, all columns, to the last row). */
export interface A1Range {
  /** The tab's name; `null` means the first visible tab. */
  sheet: string | null;
  startColumn: string | null;
  startRow: number | null;
  endColumn: string | null;
  endRow: number | null;
}

const CELLS = /^([A-Za-z]{1,3})?(\d+)?(?::([A-Za-z]{1,3})?(\d+)?)?$/;

/**
 * Reads `Sheet1`, `'My Tab'!A1:Z`, `Sheet1!A:F`, `A2:Z100`, `2:5001`, `B2`. A quoted sheet name
 * doubles its quotes (`'Bob''s'!A1`). Text without `!` that is not a cell range is a sheet name.
 * Returns `null` for text that is neither.
 */
export function parseA1Range(text: string): A1Range | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  let sheet: string | null = null;
  let cells = trimmed;
  if (trimmed.startsWith("'")) {
    const m = /^'((?:[^']|'')+)'(?:!(.*))?$/.exec(trimmed);
    if (!m) return null;
    sheet = m[1].replace(/''/g, "'");
    cells = m[2] ?? "";
  } else if (trimmed.includes("!")) {
    const at = trimmed.lastIndexOf("!");
    sheet = trimmed.slice(0, at);
    cells = trimmed.slice(at + 1);
  } else if (!isCellRange(trimmed)) {
    return { sheet: trimmed, startColumn: null, startRow: null, endColumn: null, endRow: null };
  }
  if (cells === "") return { sheet, startColumn: null, startRow: null, endColumn: null, endRow: null };
  if (!isCellRange(cells)) return null;
  const m = CELLS.exec(cells)!;
  const range: A1Range = {
    sheet,
    startColumn: m[1]?.toUpperCase() ?? null,
    startRow: m[2] ? Number(m[2]) : null,
    endColumn: m[3]?.toUpperCase() ?? null,
    endRow: m[4] ? Number(m[4]) : null,
  };
  // A single cell (B2) reads as the range B2:B2.
  if (!cells.includes(":")) [range.endColumn, range.endRow] = [range.startColumn, range.startRow];
  if (range.startRow === 0 || range.endRow === 0) return null;
  return range;
}

function isCellRange(text: string): boolean {
  const m = CELLS.exec(text);
  if (!m) return false;
  // Without a colon only a full cell (B2) is a range: "Tab" or "Q" alone is a sheet's name.
  if (!text.includes(":")) return Boolean(m[1] && m[2]);
  return Boolean((m[1] || m[2]) && (m[3] || m[4]));
}

/** Writes a range in A1 notation, always quoting the sheet name (valid for any name). */
export function formatA1Range(range: A1Range): string {
  const start = `${range.startColumn ?? ""}${range.startRow ?? ""}`;
  const end = `${range.endColumn ?? ""}${range.endRow ?? ""}`;
  // Only a full cell may stand alone (B2); a lone row or column needs both ends (1:1, A:A).
  const isCell = range.startColumn !== null && range.startRow !== null;
  const cells = start === "" && end === ""
    ? ""
    : end === "" || (end === start && isCell)
    ? start
    : `${start}:${end}`;
  if (range.sheet === null) return cells;
  const sheet = `'${range.sheet.replace(/'/g, "''")}'`;
  return cells === "" ? sheet : `${sheet}!${cells}`;
}

/**
 * The same columns as `range`, rows `firstRow` to `lastRow` (inclusive): the slice a paged pull
 * asks for. With no columns in `range`, the slice is whole rows (`'Tab'!2:5001`).
 */
export function rowSlice(range: A1Range, firstRow: number, lastRow: number): string {
  return formatA1Range({ ...range, startRow: firstRow, endRow: lastRow });
}
