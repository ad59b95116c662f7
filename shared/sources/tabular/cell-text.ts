/** cellText: a cell as the mappers read it, whether it came from a CSV or the Sheets API. */

/** A cell as trimmed text; numbers and booleans as written; `null` and `undefined` as "". */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value).trim();
}
