/**
 * Reads a money cell into an exact decimal string. Money is never a float here: strings are
 * taken apart digit by digit, and a number from the Sheets API is turned into the shortest
 * decimal that round-trips to it (JavaScript's own `String(n)`), expanded out of exponent form.
 */

import { isCurrencyCode, leadingSymbol, type SymbolMeaning, trailingSymbol } from "./currency-code.ts";

/** How to read ambiguous money text. */
export interface MoneyOptions {
  /** The currency of the column when the cell does not say it (ISO code). */
  defaultCurrency?: string;
  /**
   * The sheet locale's decimal mark, used only when a lone separator is followed by exactly three
   * digits (`1,234` or `1.234`). Defaults to `"."` (en_US, Google Sheets' default locale).
   */
  decimal?: "." | ",";
}

/** A parsed amount, or why the cell is not one. */
export type MoneyResult =
  | { ok: true; amount: string; currency: string | null }
  | { ok: false; reason: string };

// 10^15: a quadrillion in any currency is a data error, and every amount below it is also an
// exactly representable double, so the number path stays exact.
const MAX_INTEGER_DIGITS = 15;
const MAX_FRACTION_DIGITS = 20;

const NO_VALUE = new Set([
  "-",
  "--",
  "—",
  "–",
  "−",
  "n/a",
  "na",
  "n.a.",
  "none",
  "null",
  "nil",
  "tbd",
  "tba",
  "?",
  "...",
  "…",
]);

/**
 * Parses a money cell: `$1,234.56`, `1.234,56 €`, `(12.00)`, `USD 50`, `-5`, `5-`, `−5`, `£3`, `1,5`,
 * or a number from the Sheets API (`UNFORMATTED_VALUE`).
 *
 * Empty cells, placeholders (`-`, `N/A`, `none`, `TBD` …) and garbage are `ok: false` with a reason,
 * never 0: the caller decides what a missing amount means.
 *
 * @example
 * parseMoney("(1.234,50 €)") // { ok: true, amount: "-1234.50", currency: "EUR" }
 * parseMoney(12.1)           // { ok: true, amount: "12.1", currency: null }
 */
export function parseMoney(text: string | number | null | undefined, opts: MoneyOptions = {}): MoneyResult {
  const defaultCurrency = opts.defaultCurrency?.trim().toUpperCase() || null;
  if (text === null || text === undefined) return fail("the cell is empty");
  if (typeof text === "number") return fromNumber(text, defaultCurrency);
  return fromText(String(text), defaultCurrency, opts.decimal ?? ".");
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function fromNumber(n: number, currency: string | null): MoneyResult {
  if (!Number.isFinite(n)) return fail(`${n} is not a finite number`);
  if (n === 0) return { ok: true, amount: "0", currency }; // also -0
  if (Math.abs(n) >= 10 ** MAX_INTEGER_DIGITS) return fail(`${n} is implausibly large for money`);
  if (Math.abs(n) < 1e-9) return fail(`${n} is implausibly small for money`);
  const decimal = expandExponent(String(n));
  return { ok: true, amount: decimal, currency };
}

/**
 * Writes `1.5e-7` or `-2E+3` as plain decimal digits; other numeric text passes through.
 * Pure string work: digits are moved, never computed.
 */
export function expandExponent(text: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?e([+-]?\d+)$/i.exec(text);
  if (!m) return text;
  const digits = (m[2] + (m[3] ?? "")) || "0";
  const point = m[2].length + Number(m[4]);
  let int: string, frac: string;
  if (point <= 0) [int, frac] = ["0", "0".repeat(-point) + digits];
  else if (point >= digits.length) [int, frac] = [digits + "0".repeat(point - digits.length), ""];
  else [int, frac] = [digits.slice(0, point), digits.slice(point)];
  return formatDecimal(m[1] === "-", int, frac.replace(/0+$/, ""));
}

/** `-` + integer digits without leading zeros + `.fraction` when there is one; never `-0`. */
function formatDecimal(negative: boolean, int: string, frac: string): string {
  const whole = int.replace(/^0+(?=\d)/, "") || "0";
  const zero = !/[1-9]/.test(whole + frac);
  return `${negative && !zero ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

interface Marks {
  negative: number;
  code: string | null;
  symbol: [string, SymbolMeaning] | null;
}

function fromText(raw: string, defaultCurrency: string | null, decimalMark: "." | ","): MoneyResult {
  // NFKC folds full-width digits and no-break spaces into their plain forms.
  let s = raw.normalize("NFKC").replace(/\s+/g, " ").trim();
  const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  if (s === "") return fail("the cell is empty");
  if (NO_VALUE.has(s.toLowerCase())) return fail(`no amount ('${shown}')`);
  if (/^#[A-Z0-9/]+[!?]?$/i.test(s)) return fail(`the cell holds a spreadsheet error ('${shown}')`);
  if (s.includes("%")) return fail(`'${shown}' is a percentage, not money`);
  s = s.replace(/[\u2010-\u2015\u2212\ufe63\uff0d]/g, "-")
    // Swiss grouping is often typed with a typographic apostrophe (1’234.56), which NFKC keeps.
    .replace(/[\u2018\u2019\u02bc\u2032]/g, "'");

  const marks: Marks = { negative: 0, code: null, symbol: null };
  const core = stripMarks(s, marks);
  // Accounting formats show zero as a dash beside the currency mark (`$ -`, `€ -`, `USD -`).
  if (core === "" && marks.negative === 1 && (marks.code || marks.symbol) && /^[^\d]*-[^\d]*$/.test(s)) {
    const currency = resolveCurrency(marks, defaultCurrency);
    if (typeof currency === "object" && currency !== null) return currency;
    return { ok: true, amount: "0", currency };
  }
  if (core === null || core === "") return fail(`'${shown}' is not an amount of money`);
  if (marks.negative > 1) return fail(`'${shown}' has more than one negative sign`);

  const currency = resolveCurrency(marks, defaultCurrency);
  if (typeof currency === "object" && currency !== null) return currency;

  // Sheets writes large or tiny numbers in scientific notation (1.5E+6) in CSV exports. The
  // exponent is bounded before expanding it: "1e999999999" would otherwise build a gigabyte string.
  const exponent = /e([+-]?\d+)$/i.exec(core);
  if (exponent && Math.abs(Number(exponent[1])) > MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS) {
    return fail(`'${shown}' is implausibly ${exponent[1].startsWith("-") ? "small" : "large"} for money`);
  }
  const number = /e/i.test(core)
    ? expandExponent(core).split(".") as [string, string?]
    : readNumber(core, decimalMark);
  if (typeof number === "string") return fail(`'${shown}' ${number}`);
  const [int, frac = ""] = number;
  if (int.replace(/^0+/, "").length > MAX_INTEGER_DIGITS) {
    return fail(`'${shown}' is implausibly large for money`);
  }
  if (frac.length > MAX_FRACTION_DIGITS) return fail(`'${shown}' has too many decimal places`);
  return { ok: true, amount: formatDecimal(marks.negative === 1, int, frac), currency };
}

/**
 * Peels signs, parentheses, ISO codes and symbols off both ends until only the numeric core is
 * left; `null` when something else remains.
 */
function stripMarks(text: string, marks: Marks): string | null {
  let s = text;
  for (let guard = 0; guard < 10; guard++) {
    const before = s;
    s = s.trim();
    // Digits at both ends: only the numeric core is left (the common case, checked first).
    if (/^[0-9.]/.test(s) && /[0-9]$/.test(s)) break;
    if (s.startsWith("(") && s.endsWith(")")) {
      marks.negative++;
      s = s.slice(1, -1);
    } else if (s.startsWith("-") || s.endsWith("-")) {
      marks.negative++;
      s = s.startsWith("-") ? s.slice(1) : s.slice(0, -1);
    } else if (s.startsWith("+")) {
      s = s.slice(1);
    } else {
      const lead = /^([A-Za-z]{3})(?![A-Za-z])/.exec(s);
      const trail = /(?<![A-Za-z])([A-Za-z]{3})$/.exec(s);
      const code = [lead, trail].find((m) => m && isCurrencyCode(m[1].toUpperCase()));
      if (code) {
        const upper = code[1].toUpperCase();
        if (marks.code && marks.code !== upper) return null;
        marks.code = upper;
        s = code === lead ? s.slice(3) : s.slice(0, -3);
      } else {
        const symbol = leadingSymbol(s) ?? trailingSymbol(s);
        if (symbol) {
          if (marks.symbol) return null;
          marks.symbol = symbol;
          s = s.startsWith(symbol[0]) ? s.slice(symbol[0].length) : s.slice(0, -symbol[0].length);
        }
      }
    }
    if (s === before) break;
  }
  const numeric = /^[0-9.,' ]*[0-9][0-9.,' ]*$/.test(s) || /^\d*\.?\d+e[+-]?\d+$/i.test(s);
  // Nothing but marks left: the caller decides whether that is an accounting zero.
  return numeric ? s : s.trim() === "" ? "" : null;
}

/** The currency the marks state, or a failure when they contradict each other or are ambiguous. */
function resolveCurrency(
  marks: Marks,
  fallback: string | null,
): string | null | { ok: false; reason: string } {
  const meaning = marks.symbol?.[1];
  if (marks.code) {
    if (meaning && "code" in meaning && meaning.code !== marks.code) {
      return fail(`'${marks.symbol![0]}' and ${marks.code} name different currencies`);
    }
    return marks.code;
  }
  if (!meaning) return fallback;
  if ("code" in meaning) return meaning.code;
  if (fallback && meaning.candidates.includes(fallback)) return fallback;
  // "$" in a sheet without a stated currency stays unstated (it counts as USD downstream);
  // "¥" or "kr" could be several currencies an order of magnitude apart, so refuse to guess.
  if (marks.symbol![0] === "$") return null;
  return fail(`'${marks.symbol![0]}' could be ${meaning.candidates.join(" or ")}: set the column's currency`);
}

/**
 * Splits a numeric core into integer and fraction digits following the rules of section 6 of the
 * sources: with both `.` and `,` the last one is the decimal mark; a lone separator followed by 1–2
 * (or 4+) digits is the decimal mark; followed by exactly 3 digits it is the locale's call.
 * Returns a reason (a sentence fragment) when the grouping is not one a person would write.
 * One pass over the characters: this runs once per row of a 100k-row sheet.
 */
function readNumber(core: string, decimalMark: "." | ","): [string, string] | string {
  const seps: number[] = [];
  let lastDot = -1, lastComma = -1, dots = 0, commas = 0, spaces = 0;
  for (let i = 0; i < core.length; i++) {
    const c = core[i];
    if (c >= "0" && c <= "9") continue;
    seps.push(i);
    if (c === ".") [lastDot, dots] = [i, dots + 1];
    else if (c === ",") [lastComma, commas] = [i, commas + 1];
    else spaces++; // space or apostrophe: only ever a digit-group separator
  }
  if (seps.length === 0) return [core, ""];

  let decimalAt = -1;
  if (dots > 0 && commas > 0) {
    decimalAt = Math.max(lastDot, lastComma);
  } else if (dots + commas === 1) {
    const at = Math.max(lastDot, lastComma);
    const after = core.length - at - 1;
    const before = at - spaces;
    const couldBeGroup = after === 3 && before >= 1 && before <= 3 && spaces === 0;
    decimalAt = !couldBeGroup || decimalMark === core[at] ? at : -1;
  }

  // Every separator before the decimal mark must be the same digit-group character.
  const groupSeps = decimalAt >= 0 ? seps.filter((i) => i < decimalAt) : seps;
  if (decimalAt >= 0 && seps[seps.length - 1] !== decimalAt) {
    return core[seps[seps.length - 1]] === core[decimalAt]
      ? "has more than one decimal mark"
      : "has a separator after the decimal mark";
  }
  const intEnd = decimalAt >= 0 ? decimalAt : core.length;
  if (groupSeps.length > 0) {
    const sep = core[groupSeps[0]];
    if (groupSeps.some((i) => core[i] !== sep)) return "mixes digit-group separators";
    const lengths = [
      groupSeps[0],
      ...groupSeps.slice(1).map((at, k) => at - groupSeps[k] - 1),
      intEnd - groupSeps[groupSeps.length - 1] - 1,
    ];
    const western = lengths[0] >= 1 && lengths[0] <= 3 && lengths.slice(1).every((n) => n === 3);
    // Indian grouping (1,23,45,678.00): pairs of digits before the final three.
    const indian = sep === "," && lengths.length > 2 && lengths[0] >= 1 && lengths[0] <= 2 &&
      lengths.slice(1, -1).every((n) => n === 2) && lengths[lengths.length - 1] === 3;
    if (!western && !indian) return "has misplaced digit-group separators";
  }
  let int = "";
  let from = 0;
  for (const at of groupSeps) [int, from] = [int + core.slice(from, at), at + 1];
  int += core.slice(from, intEnd);
  const frac = decimalAt >= 0 ? core.slice(decimalAt + 1) : "";
  if (int === "" && frac === "") return "has no digits";
  return [int === "" ? "0" : int, frac];
}
