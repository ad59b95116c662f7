/**
 * SummaryRows: tells the rows people add under their sales — `Total`, `Subtotal`, `Grand total`,
 * `Sum of …`, or a bare figure that is the sum of the amounts above it — from sales, so a pull
 * skips them instead of storing the column's sum as one more sale. It keeps the running sum of the
 * amounts read since the previous summary row, in exact decimals (never floats), so it must see
 * every row of a read in order, the rows a resumed pull reads again included.
 */

/** What the mapper read from a row before deciding whether it is a sale. */
export interface RowFacts {
  /** The cells, by header (a label may sit in any column). */
  row: Record<string, unknown>;
  /** The header of the amount column, whose cell is never taken for a label. */
  amountHeader: string | undefined;
  hasEmail: boolean;
  hasName: boolean;
  hasDate: boolean;
  /** The row's amount as an exact decimal string, when it has one that reads. */
  amount: string | null;
}

/** `Total`, `Totals:`, `TOTAL (USD)`, `Sub-total`, `Subtotal`, `Grand total`, `Sum`, `Sum of Amount`. */
const LABEL = /^(?:grand[\s-]*|sub[\s-]*)?totals?\b|^sum\b/i;

// Amounts are summed as integers of 10^-20 units: parseMoney allows at most 20 decimal places.
const SCALE = 20;

/** Units of 10^-20 in an exact decimal string such as `-1234.5`. */
function units(decimal: string): bigint {
  const negative = decimal.startsWith("-");
  const [int, frac = ""] = decimal.replace(/^[-+]/, "").split(".");
  const value = BigInt(int + frac.padEnd(SCALE, "0").slice(0, SCALE));
  return negative ? -value : value;
}

/**
 * Judges the rows of one read in order.
 *
 * @example
 * const summary = new SummaryRows();
 * summary.judge(facts) // null: a sale (its amount now counts in the running sum)
 * summary.judge(totalFacts) // "'Total'": skip the row
 */
export class SummaryRows {
  private sum = 0n;
  private rowsSummed = 0;

  /**
   * Why the row is a summary row (a one-line reason), or `null` when it is not; a row that is not
   * one adds its amount to the running sum, and a summary row starts the sum afresh.
   *
   * A summary row names no buyer (no email) and no date, and either holds a label in a cell other
   * than the amount (`Total`, `Subtotal`, `Grand total`, `Sum…`), or names nobody at all and its
   * amount equals the sum of the amounts above it (since the previous summary row).
   */
  judge(facts: RowFacts): string | null {
    const reason = this.reasonOf(facts);
    if (reason !== null) {
      this.sum = 0n;
      this.rowsSummed = 0;
      return reason;
    }
    if (facts.amount !== null) {
      this.sum += units(facts.amount);
      this.rowsSummed++;
    }
    return null;
  }

  private reasonOf(facts: RowFacts): string | null {
    if (facts.hasEmail || facts.hasDate) return null;
    for (const [header, cell] of Object.entries(facts.row)) {
      if (header === facts.amountHeader) continue;
      const text = String(cell ?? "").trim();
      if (LABEL.test(text)) return `'${text.length > 30 ? `${text.slice(0, 30)}…` : text}'`;
    }
    if (facts.hasName || facts.amount === null || this.rowsSummed === 0) return null;
    if (units(facts.amount) !== this.sum) return null;
    const rows = this.rowsSummed === 1 ? "the row" : `the ${this.rowsSummed} rows`;
    return `no buyer or date, and ${facts.amount} is the sum of ${rows} above it`;
  }
}
