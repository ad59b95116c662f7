/**
 * Turns what an operator pastes into `sheet_sources.url` into something we can pull: a CSV URL
 * (no credentials needed) or a Sheets API reference (service account or API key).
 *
 * Accepted:
 * - A Google Sheets link: `https://docs.google.com/spreadsheets/d/{ID}/edit#gid=123`,
 *   `…/edit?usp=sharing`, `…/edit?gid=123`, `…/view`, `…/u/1/d/{ID}/…`, an `export` link. It becomes
 *   `https://docs.google.com/spreadsheets/d/{ID}/export?format=csv&gid={GID}` (gid 0 when absent:
 *   the first tab as created). Needs "anyone with the link can view".
 * - A published link `…/spreadsheets/d/e/2PACX-…/pub?…&output=csv`, kept as is; a published
 *   `pubhtml` (or `pub` without `output=csv`) link is rewritten to its CSV form.
 * - A GViz CSV link (`…/gviz/tq?tqx=out:csv…`), kept as is (beware: it can be minutes stale).
 * - Any other `http(s)` URL, taken to serve CSV, kept as is.
 * - A Sheets API reference: `sheets:{ID}`, `sheets:{ID}!{range}`, `sheets:{ID}/{range}` or
 *   `{ID}/{range}`, where range is A1 notation with an optional tab: `'Sales 2024'!A1:Z`,
 *   `Sheet1`, `Sheet1!A:F`. The header is the range's first row. Without a range: the first tab,
 *   all of it (`range` is then `""`).
 */

import { PayloadError } from "../../errors.ts";
import { parseA1Range } from "./a1-range.ts";

/** Where a sheet's rows come from. */
export type SheetLocation =
  | { kind: "csv"; url: string }
  | { kind: "sheets-api"; spreadsheetId: string; range: string };

const ID = /^[A-Za-z0-9_-]{20,}$/;

/**
 * Resolves a pasted link or reference (see the module comment for the accepted forms).
 * Throws `PayloadError` with one line when it is none of them.
 *
 * @example
 * toCsvSource("https://docs.google.com/spreadsheets/d/1AbC…/edit#gid=42")
 * // { kind: "csv", url: "https://docs.google.com/spreadsheets/d/1AbC…/export?format=csv&gid=42" }
 * toCsvSource("sheets:1AbC…!'Sales 2024'!A1:Z")
 * // { kind: "sheets-api", spreadsheetId: "1AbC…", range: "'Sales 2024'!A1:Z" }
 */
export function toCsvSource(input: string): SheetLocation {
  const text = input.trim();
  const reference = apiReference(text);
  if (reference) return reference;

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(text);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalid(text);
  if (url.hostname !== "docs.google.com") return { kind: "csv", url: url.href };

  const published = /^\/spreadsheets\/d\/e\/([A-Za-z0-9_-]+)\/(pub|pubhtml)$/.exec(url.pathname);
  if (published) {
    if (published[2] === "pub" && url.searchParams.get("output") === "csv") {
      return { kind: "csv", url: url.href };
    }
    const csv = new URL(`https://docs.google.com/spreadsheets/d/e/${published[1]}/pub`);
    const gid = gidOf(url);
    if (gid !== null) csv.searchParams.set("gid", gid);
    if (gid !== null) csv.searchParams.set("single", "true");
    csv.searchParams.set("output", "csv");
    return { kind: "csv", url: csv.href };
  }

  const sheet = /^\/spreadsheets\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(url.pathname);
  if (sheet && sheet[1] !== "e") {
    if (sheet[2]?.startsWith("/gviz/")) return { kind: "csv", url: url.href };
    return { kind: "csv", url: exportUrl(sheet[1], gidOf(url) ?? "0") };
  }
  // The pre-2014 form: /spreadsheet/ccc?key={ID}#gid=0
  const key = url.searchParams.get("key");
  if (url.pathname.startsWith("/spreadsheet/") && key && /^[A-Za-z0-9_-]+$/.test(key)) {
    return { kind: "csv", url: exportUrl(key, gidOf(url) ?? "0") };
  }
  throw new PayloadError(`'${shorten(text)}' is a Google Docs link but not to a spreadsheet`);
}

function exportUrl(id: string, gid: string): string {
  return `https://docs.google.com/spreadsheets/d/${id}/export?format=csv&gid=${gid}`;
}

/** The tab id from `#gid=…` (what the browser shows) or `?gid=…`; `null` when absent or not a number. */
function gidOf(url: URL): string | null {
  const fromHash = new URLSearchParams(url.hash.replace(/^#/, "")).get("gid");
  const gid = fromHash ?? url.searchParams.get("gid");
  return gid !== null && /^\d+$/.test(gid) ? gid : null;
}

function apiReference(text: string): SheetLocation | null {
  const prefixed = text.toLowerCase().startsWith("sheets:");
  const body = prefixed ? text.slice("sheets:".length).trim() : text;
  const m = /^([A-Za-z0-9_-]+)(?:([!/])(.*))?$/s.exec(body);
  if (!m) {
    if (prefixed) throw invalid(text);
    return null;
  }
  const [, id, separator, rest] = m;
  // A bare ID without a range could be anything; only `sheets:` makes it a reference.
  if (!prefixed && separator === undefined) return null;
  if (!ID.test(id)) {
    if (prefixed) {
      throw new PayloadError(`'${shorten(id)}' is not a spreadsheet ID (the part after /d/ in its link)`);
    }
    return null;
  }
  const range = (rest ?? "").trim();
  if (separator !== undefined && range === "") throw invalid(text);
  if (range !== "" && parseA1Range(range) === null) {
    throw new PayloadError(`'${shorten(range)}' is not a range in A1 notation (e.g. 'Sales 2024'!A1:Z)`);
  }
  return { kind: "sheets-api", spreadsheetId: id, range };
}

function shorten(text: string): string {
  // Pasted text may hold line breaks or control characters; the reason stays one printable line.
  const line = text.replace(/[\s\p{Cc}]+/gu, " ");
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

function invalid(text: string): PayloadError {
  return new PayloadError(
    `'${shorten(text)}' is not a Google Sheets link, a CSV URL or a sheets:{ID}!{range} reference`,
  );
}
