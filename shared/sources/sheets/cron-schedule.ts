/**
 * CronSchedule: a 5-field cron expression (`minute hour day-of-month month day-of-week`, in UTC as
 * pg_cron reads it), so a source's `schedule` can say when it is due. pg_cron calls `sheets-pull`
 * on one tick; each source's own expression decides whether that tick pulls it.
 *
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, month names
 * (`JAN`) and weekday names (`MON`; 0 and 7 are Sunday). As in Vixie cron (and pg_cron), when both
 * day fields are restricted a day matches if either does. `@hourly`, `@daily`, `@midnight`,
 * `@weekly`, `@monthly`, `@yearly` and `@annually` are accepted.
 */

/** The minutes, hours, days, months and weekdays an expression allows. */
export interface CronSchedule {
  expression: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  /** The day-of-month field is not `*` (the OR rule applies when both day fields are restricted). */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's number (1 for months, 0 for weekdays). */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: "day of week", min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

const MINUTE = 60_000;

/** A cron expression that cannot be read, with a one-line reason. */
export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

/**
 * Reads a cron expression.
 *
 * @throws CronError with one line saying what is wrong (field count, a value out of range, ...).
 * @example
 * parseCron("*\/15 9-17 * * MON-FRI").hours.has(12) // true
 */
export function parseCron(expression: string): CronSchedule {
  const text = expression.trim().replace(/\s+/g, " ");
  if (text === "") throw new CronError("the schedule is empty; write a cron expression such as '0 * * * *'");
  const expanded = text.startsWith("@") ? MACROS[text.toLowerCase()] : text;
  if (expanded === undefined) {
    throw new CronError(`'${text}' is not a known macro (use @hourly, @daily, @weekly, @monthly or @yearly)`);
  }
  const parts = expanded.split(" ");
  if (parts.length !== 5) {
    throw new CronError(
      `'${text}' has ${parts.length} field${parts.length === 1 ? "" : "s"}; a cron expression has 5 ` +
        `(minute hour day-of-month month day-of-week), e.g. '0 * * * *'`,
    );
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]));
  const weekdays = new Set([...sets[4]].map((d) => (d === 7 ? 0 : d)));
  const schedule: CronSchedule = {
    expression: text,
    minutes: sets[0],
    hours: sets[1],
    days: sets[2],
    months: sets[3],
    weekdays,
    daysRestricted: !parts[2].startsWith("*"),
    weekdaysRestricted: !parts[4].startsWith("*"),
  };
  // "0 0 30 2 *" is well formed but never runs; say so now rather than never pulling.
  if (previousCronTime(schedule, Date.UTC(2032, 11, 31, 23, 59)) === null) {
    throw new CronError(`'${text}' never matches a date`);
  }
  return schedule;
}

/** `null` when the expression is valid, else the one-line reason (for CLI validation). */
export function cronProblem(expression: string): string | null {
  try {
    parseCron(expression);
    return null;
  } catch (error) {
    if (error instanceof CronError) return error.message;
    throw error;
  }
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(",")) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) throw new CronError(`'${item}' is not a valid ${spec.name} (use *, 5, 1-5, */15 or 1,3,5)`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new CronError(`the step in '${item}' must be at least 1`);
    let from = spec.min;
    let to = spec.max;
    if (m[1] !== "*") {
      const [a, b] = m[1].split("-");
      from = value(a, spec, item);
      // "5/15" means from 5 to the end, every 15 (as cronie reads it).
      to = b !== undefined ? value(b, spec, item) : m[2] !== undefined ? spec.max : from;
      if (from > to) throw new CronError(`'${item}' is a backwards range in the ${spec.name}`);
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function value(text: string, spec: FieldSpec, item: string): number {
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = index >= 0 ? index + (spec.nameBase ?? 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
    throw new CronError(
      `'${item}' is out of range for the ${spec.name} (${spec.min}-${spec.max}${
        spec.names ? " or a name" : ""
      })`,
    );
  }
  return n;
}

/** True when the schedule fires in the minute containing `at`. */
export function cronMatches(schedule: CronSchedule, at: Date | number): boolean {
  const d = new Date(at);
  return schedule.months.has(d.getUTCMonth() + 1) && dayMatches(schedule, d) &&
    schedule.hours.has(d.getUTCHours()) && schedule.minutes.has(d.getUTCMinutes());
}

function dayMatches(schedule: CronSchedule, d: Date): boolean {
  const day = schedule.days.has(d.getUTCDate());
  const weekday = schedule.weekdays.has(d.getUTCDay());
  if (schedule.daysRestricted && schedule.weekdaysRestricted) return day || weekday;
  return day && weekday;
}

/**
 * The start of the latest minute at or before `at` in which the schedule fires (ms since the
 * epoch), or `null` when it has not fired in the five years before. Walks back a month, a day or
 * an hour at a time where those do not match, so it costs at most a few thousand steps.
 */
export function previousCronTime(schedule: CronSchedule, at: Date | number): number | null {
  let t = Math.floor(new Date(at).getTime() / MINUTE) * MINUTE;
  const stop = t - 5 * 366 * 24 * 60 * MINUTE;
  while (t >= stop) {
    const d = new Date(t);
    if (!schedule.months.has(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - MINUTE;
    } else if (!dayMatches(schedule, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - MINUTE;
    } else if (!schedule.hours.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()) - MINUTE;
    } else if (!schedule.minutes.has(d.getUTCMinutes())) {
      t -= MINUTE;
    } else {
      return t;
    }
  }
  return null;
}

/**
 * True when the schedule has fired since `last` (the last pull or attempt), up to `now`. A
 * source never pulled is due at once.
 *
 * @throws CronError when `expression` cannot be read.
 * @example
 * isDue("0 * * * *", new Date("2024-03-04T10:30Z"), new Date("2024-03-04T11:05Z")) // true
 */
export function isDue(expression: string | CronSchedule, last: Date | null, now: Date | number): boolean {
  if (last === null) return true;
  const schedule = typeof expression === "string" ? parseCron(expression) : expression;
  const fired = previousCronTime(schedule, now);
  return fired !== null && fired > last.getTime();
}
