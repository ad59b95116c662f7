/**
 * Reads the instants HighLevel writes: ISO strings in webhooks and the REST API, epoch
 * milliseconds in pagination cursors. Anything unreadable is `null`, because a bad date should
 * cost us ordering information, not the record.
 */

/** The instant `value` names, or `null` when it is absent or not a date. */
export function parseGhlDate(value: unknown): Date | null {
  if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) value = Number(value);
  let date: Date;
  if (typeof value === "number") {
    // Below 10^11 an epoch is seconds (10^11 s is the year 5138; 10^11 ms is 1973).
    date = new Date(value < 1e11 ? value * 1000 : value);
  } else if (typeof value === "string" && value.trim() !== "") {
    date = new Date(value.trim());
  } else {
    return null;
  }
  return Number.isNaN(date.getTime()) ? null : date;
}
