/**
 * Turns ragged grids of cells (CSV records, Sheets API `values`) into rows keyed by header, the
 * same way for both, so the mappers never see the difference.
 */

import { normalizeHeader } from "./row-hash.ts";

/** A slice of a sheet as it arrives: rows keyed by header, with their spreadsheet row numbers. */
export interface RowChunk<T = string> {
  /** The header row, blanks named after their column letter and duplicates made unique. */
  headers: string[];
  /** Non-blank rows of this chunk, each keyed by `headers` (extra cells by column letter). */
  rows: Record<string, T>[];
  /** The spreadsheet row number of each row (the header is row 1 in a CSV); gaps are blank rows. */
  rowNumbers: number[];
  /** `rowNumbers[0]`. */
  firstRowNumber: number;
}

/** Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = "";
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Header cells as usable, distinct names: trimmed, blanks as `Column C`, repeats as `Email (2)`. */
export function uniqueHeaders(cells: readonly unknown[]): string[] {
  const taken = new Set<string>();
  return cells.map((cell, i) => {
    const text = String(cell ?? "").trim().replace(/\s+/g, " ");
    const base = text === "" ? `Column ${columnLetter(i)}` : text;
    let name = base;
    // Repeats are judged as the row hash sees headers (case and spacing ignored).
    for (let n = 2; taken.has(normalizeHeader(name)); n++) name = `${base} (${n})`;
    taken.add(normalizeHeader(name));
    return name;
  });
}

/** True when every cell is empty or whitespace. */
export function isBlankRow(cells: readonly unknown[]): boolean {
  return cells.every((cell) => cell === null || cell === undefined || String(cell).trim() === "");
}

/**
 * One row keyed by header; short rows padded with `blank`. Non-empty cells beyond the header are
 * kept under their column letter (`Column F`) rather than dropped.
 */
export function rowRecord<T>(headers: readonly string[], cells: readonly T[], blank: T): Record<string, T> {
  const row: Record<string, T> = {};
  for (let i = 0; i < headers.length; i++) row[headers[i]] = i < cells.length ? cells[i] : blank;
  for (let i = headers.length; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null || cell === undefined || String(cell).trim() === "") continue;
    let name = `Column ${columnLetter(i)}`;
    while (name in row) name += "+";
    row[name] = cell;
  }
  return row;
}
