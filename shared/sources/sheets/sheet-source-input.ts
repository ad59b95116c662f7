/**
 * SheetSourceInput: what an operator types into `sheets:add`, checked and put in the form
 * `sheet_sources` stores: the URL resolved (an edit link becomes its CSV export link, keeping the
 * tab's gid), the kind, a valid cron schedule and a column map naming only known fields.
 */

import { PayloadError } from "../../errors.ts";
import type { ColumnField, ColumnMap } from "../tabular/detect-columns.ts";
import { toCsvSource } from "./google-url.ts";
import { cronProblem } from "./cron-schedule.ts";

/** `sheet_sources.kind`. */
export type SheetKind = "SHEET" | "ELECTIVE";

/** `sheet_sources.decimal_mark`: the sheet locale's decimal mark. */
export type DecimalMark = "." | ",";

/** The stored form of a pasted link or reference, and a note saying what was changed. */
export interface ResolvedSheetUrl {
  url: string;
  /** How the rows are read. */
  via: "csv" | "sheets-api";
  /** Set when the stored URL differs from what was pasted, e.g. "converted the edit link ...". */
  note: string | null;
}

const FIELDS: readonly ColumnField[] = ["email", "name", "amount", "date", "currency"];

/**
 * Resolves a pasted Google Sheets link, CSV URL or Sheets API reference to the URL stored in
 * `sheet_sources.url`: a CSV link as `toCsvSource` writes it, or `sheets:{ID}!{range}`.
 *
 * @throws PayloadError with one line when it is none of those.
 * @example
 * resolveSheetUrl("https://docs.google.com/spreadsheets/d/1AbC…/edit#gid=42").url
 * // "https://docs.google.com/spreadsheets/d/1AbC…/export?format=csv&gid=42"
 */
export function resolveSheetUrl(input: string): ResolvedSheetUrl {
  const location = toCsvSource(input);
  if (location.kind === "sheets-api") {
    const url = `sheets:${location.spreadsheetId}${location.range ? `!${location.range}` : ""}`;
    return {
      url,
      via: "sheets-api",
      note: `read through the Sheets API (needs GOOGLE_SERVICE_ACCOUNT_JSON or GOOGLE_API_KEY), ${
        location.range ? `range ${location.range}` : "the first tab"
      }`,
    };
  }
  const pasted = input.trim();
  if (location.url === pasted) return { url: location.url, via: "csv", note: null };
  const gid = new URL(location.url).searchParams.get("gid");
  return {
    url: location.url,
    via: "csv",
    note: location.url.includes("/export?format=csv")
      ? `converted the link to its CSV export link (tab gid ${gid ?? "0"}); the sheet must be shared as ` +
        `"anyone with the link can view"`
      : "converted the link to its CSV form",
  };
}

/** `SHEET` or `ELECTIVE`, any case; throws PayloadError otherwise. */
export function parseSheetKind(text: string): SheetKind {
  const kind = text.trim().toUpperCase();
  if (kind !== "SHEET" && kind !== "ELECTIVE") {
    throw new PayloadError(`--kind must be SHEET or ELECTIVE, not '${text}'`);
  }
  return kind;
}

/** The schedule trimmed, when it is a valid 5-field cron expression; throws PayloadError otherwise. */
export function parseSchedule(text: string): string {
  const problem = cronProblem(text);
  if (problem) throw new PayloadError(`--schedule: ${problem}`);
  return text.trim().replace(/\s+/g, " ");
}

/**
 * Reads a column map: `email=Email,amount=Order Total` (header text may hold spaces; `,` and `=`
 * separate) or a JSON object. Keys must be fields `email`, `name`, `amount`, `date`, `currency`.
 * An empty text is the empty map (detect the usual headers).
 *
 * @throws PayloadError naming the bad entry.
 */
export function parseColumnMap(text: string): ColumnMap {
  const trimmed = text.trim();
  if (trimmed === "") return {};
  let entries: [string, unknown][];
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new PayloadError("--map is not valid JSON; write email=Email,amount=Total or a JSON object");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new PayloadError("--map must be a JSON object of field → header");
    }
    entries = Object.entries(parsed);
  } else {
    entries = trimmed.split(",").map((pair) => {
      const at = pair.indexOf("=");
      if (at < 0) throw new PayloadError(`--map entry '${pair.trim()}' is not field=Header`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    });
  }
  const map: ColumnMap = {};
  for (const [rawField, header] of entries) {
    const field = rawField.trim().toLowerCase() as ColumnField;
    if (!FIELDS.includes(field)) {
      throw new PayloadError(`--map: '${rawField.trim()}' is not a field (use ${FIELDS.join(", ")})`);
    }
    if (typeof header !== "string" || header.trim() === "") {
      throw new PayloadError(`--map: ${field} needs a header name`);
    }
    map[field] = header.trim();
  }
  return map;
}

/**
 * The sheet locale's decimal mark: `.` (en_US, the default) or `,` (de_DE, fr_FR …); `comma` and
 * `dot` are accepted too. It decides only amounts whose one separator is followed by exactly three
 * digits (`1.234`); every other amount reads the same either way.
 *
 * @throws PayloadError for anything else.
 */
export function parseDecimalMark(text: string): DecimalMark {
  const mark = text.trim().toLowerCase();
  if (mark === "." || mark === "dot" || mark === "point") return ".";
  if (mark === "," || mark === "comma") return ",";
  throw new PayloadError(`--decimal must be . or , (the sheet locale's decimal mark), not '${text}'`);
}

/** A column map in one line for messages: `email ← 'Email', amount ← 'Total'`, or the detection note. */
export function describeColumnMap(map: ColumnMap): string {
  const parts = FIELDS.filter((f) => map[f]).map((f) => `${f} ← '${map[f]}'`);
  return parts.length > 0 ? parts.join(", ") : "none (the usual headers are detected)";
}
