import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseSheetDate } from "./parse-date.ts";

const NOW = new Date("2025-06-01T00:00:00Z");

function iso(value: string | number, opts: Parameters<typeof parseSheetDate>[1] = {}): string {
  const result = parseSheetDate(value, { now: NOW, ...opts });
  if (!result.ok) throw new Error(`expected a date for ${value}: ${result.reason}`);
  return result.date.toISOString();
}

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

describe("parseSheetDate", () => {
  it("reads ISO dates as UTC, with or without an offset", () => {
    expect(iso("2024-03-04")).toBe("2024-03-04T00:00:00.000Z");
    expect(iso("2024-03-04T10:00:00Z")).toBe("2024-03-04T10:00:00.000Z");
    expect(iso("2024-03-04T10:00:00")).toBe("2024-03-04T10:00:00.000Z");
    expect(iso("2024-03-04 10:00:00+02:00")).toBe("2024-03-04T08:00:00.000Z");
    expect(iso("2024-03-04T10:00:00.250-0130")).toBe("2024-03-04T11:30:00.250Z");
    expect(iso("2024/03/04")).toBe("2024-03-04T00:00:00.000Z");
    expect(iso("20240304")).toBe("2024-03-04T00:00:00.000Z");
  });

  it("reads M/D/YYYY month-first unless the parts or the option say otherwise", () => {
    expect(iso("3/4/2024")).toBe("2024-03-04T00:00:00.000Z");
    expect(iso("3/4/2024", { dayFirst: true })).toBe("2024-04-03T00:00:00.000Z");
    expect(iso("13/4/2024")).toBe("2024-04-13T00:00:00.000Z");
    expect(iso("4/13/2024", { dayFirst: true })).toBe("2024-04-13T00:00:00.000Z");
    expect(iso("04.03.2024")).toBe("2024-03-04T00:00:00.000Z");
    expect(iso("3-4-2024")).toBe("2024-03-04T00:00:00.000Z");
  });

  it("reads month names in either order, with weekdays, ordinals and times", () => {
    for (
      const text of [
        "March 4, 2024",
        "4 March 2024",
        "Mar 4 2024",
        "04-Mar-24",
        "Monday, March 4, 2024",
        "4th Mar. 2024",
        "Sept 4, 2024",
      ]
    ) {
      expect(iso(text).slice(5, 10), text).toBe(text.startsWith("Sept") ? "09-04" : "03-04");
    }
    expect(iso("Mar 4, 2024 2:05 PM")).toBe("2024-03-04T14:05:00.000Z");
    expect(iso("3/4/2024 12:30:15 am")).toBe("2024-03-04T00:30:15.000Z");
    expect(iso("3/4/2024 18:00")).toBe("2024-03-04T18:00:00.000Z");
  });

  it("reads Sheets serial numbers from the 1899-12-30 epoch with the fraction as time of day", () => {
    expect(iso(45355)).toBe("2024-03-04T00:00:00.000Z");
    expect(iso(45355.5)).toBe("2024-03-04T12:00:00.000Z");
    expect(iso(45355 + 10 / 24)).toBe("2024-03-04T10:00:00.000Z");
    expect(iso("45355")).toBe("2024-03-04T00:00:00.000Z");
    expect(iso(61)).toBe("1900-03-01T00:00:00.000Z");
  });

  it("pivots two-digit years into the window 80 years back and 20 ahead", () => {
    expect(iso("3/4/24")).toBe("2024-03-04T00:00:00.000Z");
    expect(iso("3/4/44")).toBe("2044-03-04T00:00:00.000Z");
    expect(iso("3/4/45")).toBe("1945-03-04T00:00:00.000Z");
    expect(iso("3/4/99")).toBe("1999-03-04T00:00:00.000Z");
  });

  it("refuses impossible dates instead of rolling them over", () => {
    for (
      const text of [
        "2/30/2024",
        "2023-02-29",
        "13/13/2024",
        "2024-03-04T25:00",
        "3/4/2024 13:00 PM",
        "Foo 4, 2024",
        "0/4/2024",
      ]
    ) {
      expect(parseSheetDate(text).ok, text).toBe(false);
    }
    expect(iso("2024-02-29")).toBe("2024-02-29T00:00:00.000Z");
  });

  it("refuses empty cells, garbage and serials outside spreadsheet range", () => {
    for (const value of ["", "  ", "soon", "TBD", "next tuesday", 0, -5, NaN, 3_000_000, "1709510400"]) {
      const result = parseSheetDate(value);
      expect(result.ok, String(value)).toBe(false);
      if (!result.ok) expect(result.reason).not.toBe("");
    }
  });

  it("round-trips any date through every format it accepts", () => {
    const day = fc.date({
      min: new Date("1946-01-01T00:00:00Z"),
      max: new Date("2044-12-31T00:00:00Z"),
      noInvalidDate: true,
    })
      .map((d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())));
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 86_399 }), (date, seconds) => {
        const y = date.getUTCFullYear(), m = date.getUTCMonth() + 1, d = date.getUTCDate();
        const pad = (n: number) => String(n).padStart(2, "0");
        const expected = date.toISOString();
        expect(iso(`${y}-${pad(m)}-${pad(d)}`)).toBe(expected);
        expect(iso(`${m}/${d}/${y}`)).toBe(expected);
        expect(iso(`${d}/${m}/${y}`, { dayFirst: true })).toBe(expected);
        expect(iso(`${m}/${d}/${String(y).slice(2)}`)).toBe(expected);
        expect(iso(`${MONTH_NAMES[m - 1]} ${d}, ${y}`)).toBe(expected);
        expect(iso(`${d} ${MONTH_NAMES[m - 1].slice(0, 3)} ${y}`)).toBe(expected);
        const serial = (date.getTime() - Date.UTC(1899, 11, 30)) / 86_400_000;
        expect(iso(serial + seconds / 86_400)).toBe(new Date(date.getTime() + seconds * 1000).toISOString());
        const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${
          pad(seconds % 60)
        }`;
        expect(iso(`${y}-${pad(m)}-${pad(d)}T${time}`)).toBe(
          new Date(date.getTime() + seconds * 1000).toISOString(),
        );
      }),
      { numRuns: 500 },
    );
  });
});
