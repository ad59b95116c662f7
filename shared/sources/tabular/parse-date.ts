/**
 * Reads a date cell into a UTC `Date` against explicit formats. `new Date(text)` is never used on
 * anything but what these patterns matched: its reading of non-ISO strings depends on the runtime
 * and on the machine's time zone.
 */

/** How to read ambiguous dates. */
export interface DateOptions {
  /**
   * Read `03/04/2024` as 3 April (en_GB) instead of March 4 (en_US, the default). A first part
   * above 12 is read day-first and a second part above 12 month-first whatever this says.
   */
  dayFirst?: boolean;
  /** Times without an offset are read in this zone. Only UTC for now (Elective exports in UTC). */
  timeZone?: "UTC";
  /** The moment two-digit years are pivoted around (default: now). */
  now?: Date;
}

/** A parsed date, or why the cell is not one. */
export type DateResult = { ok: true; date: Date } | { ok: false; reason: string };

const DAY_MS = 86_400_000;
// Sheets counts days from 1899-12-30 (so that 1900-03-01 is 61, as in Lotus 1-2-3).
const SERIAL_EPOCH_MS = Date.UTC(1899, 11, 30);
// 9999-12-31, the largest serial Sheets shows as a date.
const MAX_SERIAL = 2_958_465;

const MONTHS: Record<string, number> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

const TIME = String.raw`(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([AaPp]\.?[Mm]\.?)?)?`;
const ZONE = String.raw`\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?`;
const ISO = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})${TIME}${ZONE}$`, "i");
const YMD = new RegExp(String.raw`^(\d{4})[/.](\d{1,2})[/.](\d{1,2})${TIME}${ZONE}$`, "i");
const NUMERIC = new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})${TIME}${ZONE}$`, "i");
const MONTH_FIRST = new RegExp(
  String.raw`^([A-Za-z]{3,9})\.?[ -](\d{1,2})(?:st|nd|rd|th)?,?[ -](\d{2}|\d{4})${TIME}${ZONE}$`,
  "i",
);
const DAY_FIRST = new RegExp(
  String.raw`^(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{2}|\d{4})${TIME}${ZONE}$`,
  "i",
);
const WEEKDAY = /^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+/i;

/**
 * Parses a date cell: ISO (`2024-03-04`, `2024-03-04T10:00:00Z`; no offset means UTC),
 * `YYYYMMDD`, `M/D/YYYY` (day-first when the first part exceeds 12 or `dayFirst`), `D.M.YYYY` (day-first),
 * `March 4, 2024`, `4 March 2024`, `Mar 4 2024`, `04-Mar-24`, an optional weekday in front and an
 * optional time (`10:00`, `10:00:30`, `2:05 PM`) after; or a Sheets serial number
 * (days since 1899-12-30, the fraction is the time of day, read as UTC: 45355 is 2024-03-04).
 * Two-digit years land within 80 years before and 20 years after `now`.
 *
 * @example
 * parseSheetDate("3/4/2024")                     // 2024-03-04T00:00:00Z
 * parseSheetDate("3/4/2024", { dayFirst: true }) // 2024-04-03T00:00:00Z
 * parseSheetDate(45355.5)                        // 2024-03-04T12:00:00Z
 */
export function parseSheetDate(
  value: string | number | null | undefined,
  opts: DateOptions = {},
): DateResult {
  if (value === null || value === undefined) return fail("the cell is empty");
  if (typeof value === "number") return fromSerial(value);
  const text = String(value).normalize("NFKC").replace(/\s+/g, " ").trim().replace(WEEKDAY, "");
  if (text === "") return fail("the cell is empty");
  const shown = `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
  const compact = /^((?:19|20)\d{2})(\d{2})(\d{2})$/.exec(text); // 20240304
  if (compact) return build(shown, +compact[1], +compact[2], +compact[3], []);
  if (/^\d+(\.\d+)?$/.test(text)) return fromSerial(Number(text));

  const iso = ISO.exec(text) ?? YMD.exec(text);
  if (iso) return build(shown, +iso[1], +iso[2], +iso[3], iso.slice(4));

  const numeric = NUMERIC.exec(text);
  if (numeric) {
    const [a, b] = [+numeric[1], +numeric[3]];
    // Dotted dates (04.03.2024) are a European form: day first.
    const dayFirst = a > 12 || (b <= 12 && (opts.dayFirst ?? numeric[2] === "."));
    const [month, day] = dayFirst ? [b, a] : [a, b];
    return build(shown, fullYear(numeric[4], opts.now), month, day, numeric.slice(5));
  }

  const monthFirst = MONTH_FIRST.exec(text);
  if (monthFirst) {
    const month = MONTHS[monthFirst[1].toLowerCase()];
    if (month) {
      return build(shown, fullYear(monthFirst[3], opts.now), month, +monthFirst[2], monthFirst.slice(4));
    }
  }
  const dayFirst = DAY_FIRST.exec(text);
  if (dayFirst) {
    const month = MONTHS[dayFirst[2].toLowerCase()];
    if (month) return build(shown, fullYear(dayFirst[3], opts.now), month, +dayFirst[1], dayFirst.slice(4));
  }
  return fail(`${shown} is not a date in a known format`);
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Sheets serial number to UTC, rounded to the millisecond (fractions of a day are not exact). */
function fromSerial(serial: number): DateResult {
  if (!Number.isFinite(serial)) return fail(`${serial} is not a date`);
  if (serial < 1 || serial > MAX_SERIAL) return fail(`${serial} is outside the range of spreadsheet dates`);
  return { ok: true, date: new Date(SERIAL_EPOCH_MS + Math.round(serial * DAY_MS)) };
}

/** A two- or four-digit year as a full year; two digits pivot around `now`. */
function fullYear(text: string, now = new Date()): number {
  const year = Number(text);
  if (text.length === 4) return year;
  // The year ending in these digits that falls in [now - 80, now + 20).
  const current = now.getUTCFullYear();
  const start = current - 80;
  let candidate = Math.floor(start / 100) * 100 + year;
  if (candidate < start) candidate += 100;
  return candidate;
}

/**
 * Builds the UTC instant and checks every field, so 2/30/2024 or 25:00 fail instead of rolling
 * over into the next month or day as `Date.UTC` would.
 * `time` holds the regex groups: hour, minute, second, fraction, am/pm, zone.
 */
function build(
  shown: string,
  year: number,
  month: number,
  day: number,
  time: (string | undefined)[],
): DateResult {
  const [h, min, sec, fraction, meridiem, zone] = time;
  if (year < 1900 || year > 9999) return fail(`${shown} has an implausible year`);
  if (month < 1 || month > 12) return fail(`${shown} has no month ${month}`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return fail(`${shown} has no day ${day} in that month`);

  let hour = h === undefined ? 0 : Number(h);
  const minute = min === undefined ? 0 : Number(min);
  const second = sec === undefined ? 0 : Number(sec);
  if (meridiem) {
    if (hour < 1 || hour > 12) return fail(`${shown} has an hour that does not fit AM/PM`);
    const pm = meridiem[0].toLowerCase() === "p";
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return fail(`${shown} has an impossible time of day`);
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;

  let offsetMinutes = 0;
  if (zone && /^[+-]/.test(zone)) {
    const digits = zone.replace(":", "");
    const sign = zone[0] === "-" ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    if (Math.abs(offsetMinutes) > 14 * 60) return fail(`${shown} has an impossible UTC offset`);
  }
  // Date.UTC maps years 0–99 to 1900–1999; years here are at least 1900, so no correction needed.
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return { ok: true, date: new Date(utc) };
}
