import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { cronMatches, cronProblem, isDue, parseCron, previousCronTime } from "./cron-schedule.ts";

const at = (iso: string) => new Date(iso);

describe("parseCron", () => {
  it("reads lists, ranges, steps and names", () => {
    const s = parseCron("*/15 9-17/4 1,15 JAN-MAR mon-fri");
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([9, 13, 17]);
    expect([...s.days]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 2, 3]);
    expect([...s.weekdays]).toEqual([1, 2, 3, 4, 5]);
  });

  it("treats 7 as Sunday and expands macros", () => {
    expect([...parseCron("0 0 * * 7").weekdays]).toEqual([0]);
    expect(parseCron("@hourly")).toMatchObject({
      minutes: new Set([0]),
      hours: new Set(Array.from({ length: 24 }, (_, i) => i)),
    });
  });

  it.each([
    ["", /empty/],
    ["* * * *", /has 4 fields; a cron expression has 5/],
    ["0 * * * * *", /has 6 fields/],
    ["60 * * * *", /'60' is out of range for the minute \(0-59\)/],
    ["0 24 * * *", /out of range for the hour/],
    ["0 0 0 * *", /out of range for the day of month/],
    ["0 0 * 13 *", /out of range for the month/],
    ["0 0 * * 8", /out of range for the day of week/],
    ["*/0 * * * *", /step .* at least 1/],
    ["5-1 * * * *", /backwards range/],
    ["a * * * *", /out of range|not a valid/],
    ["0 0 30 2 *", /never matches/],
    ["30 seconds", /has 2 fields/],
    ["@often", /not a known macro/],
  ])("refuses %j with a one-line reason", (expression, reason) => {
    const problem = cronProblem(expression);
    expect(problem).toMatch(reason);
    expect(problem).not.toContain("\n");
  });

  it("accepts what pg_cron's examples use", () => {
    for (const e of ["0 * * * *", "*/5 * * * *", "30 3 * * 6", "0 10 * * *", "0 0 1 * *"]) {
      expect(cronProblem(e)).toBeNull();
    }
  });
});

describe("cronMatches", () => {
  it("matches minute, hour, day and month in UTC", () => {
    const s = parseCron("30 14 4 3 *");
    expect(cronMatches(s, at("2024-03-04T14:30:59Z"))).toBe(true);
    expect(cronMatches(s, at("2024-03-04T14:31:00Z"))).toBe(false);
    expect(cronMatches(s, at("2024-03-05T14:30:00Z"))).toBe(false);
  });

  it("ORs the day fields when both are restricted, ANDs them otherwise", () => {
    const either = parseCron("0 0 1 * MON"); // the 1st, or any Monday
    expect(cronMatches(either, at("2024-03-01T00:00Z"))).toBe(true); // a Friday, the 1st
    expect(cronMatches(either, at("2024-03-04T00:00Z"))).toBe(true); // a Monday, the 4th
    expect(cronMatches(either, at("2024-03-05T00:00Z"))).toBe(false);
    const mondays = parseCron("0 0 * * MON");
    expect(cronMatches(mondays, at("2024-03-01T00:00Z"))).toBe(false);
  });
});

describe("previousCronTime", () => {
  it("finds the latest firing at or before the time", () => {
    const s = parseCron("0 */6 * * *");
    expect(new Date(previousCronTime(s, at("2024-03-04T13:59:30Z"))!).toISOString()).toBe(
      "2024-03-04T12:00:00.000Z",
    );
    expect(new Date(previousCronTime(s, at("2024-03-04T12:00:10Z"))!).toISOString()).toBe(
      "2024-03-04T12:00:00.000Z",
    );
    expect(new Date(previousCronTime(parseCron("0 0 29 2 *"), at("2025-03-01T00:00Z"))!).toISOString())
      .toBe("2024-02-29T00:00:00.000Z");
  });

  it("agrees with a minute-by-minute scan (property)", () => {
    const expressions = fc.constantFrom(
      "* * * * *",
      "*/7 * * * *",
      "15 3 * * *",
      "0 0 1 * *",
      "0 12 * * SAT",
      "5-10 */5 1,15 * 1-3",
      "0 0 13 * FRI",
    );
    fc.assert(
      fc.property(
        expressions,
        fc.integer({ min: Date.UTC(2023, 0, 1), max: Date.UTC(2026, 0, 1) }),
        (e, t) => {
          const s = parseCron(e);
          const found = previousCronTime(s, t)!;
          expect(cronMatches(s, found)).toBe(true);
          expect(found).toBeLessThanOrEqual(t);
          // No firing between the one found and `t`: check the minutes in between (bounded scan).
          let laterFiring: number | null = null;
          for (let m = found + 60_000; m <= t && m < found + 2 * 86_400_000; m += 60_000) {
            if (cronMatches(s, m)) laterFiring ??= m;
          }
          expect(laterFiring).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("isDue", () => {
  it("is due when the schedule fired after the last pull, and not before", () => {
    expect(isDue("0 * * * *", at("2024-03-04T10:30Z"), at("2024-03-04T11:05Z"))).toBe(true);
    expect(isDue("0 * * * *", at("2024-03-04T11:00:05Z"), at("2024-03-04T11:59Z"))).toBe(false);
    expect(isDue("0 0 * * *", at("2024-03-04T09:00Z"), at("2024-03-04T23:59Z"))).toBe(false);
    expect(isDue("0 0 * * *", at("2024-03-04T09:00Z"), at("2024-03-05T00:00Z"))).toBe(true);
  });

  it("is due at once for a source never pulled", () => {
    expect(isDue("0 0 1 1 *", null, at("2024-03-04T11:05Z"))).toBe(true);
  });
});
