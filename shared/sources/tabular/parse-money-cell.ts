/**
 * parseMoneyCell: a money cell read in its column's currency, the one rule sheet rows and Elective
 * orders share: the cell's own currency mark, if any, must agree with the currency column.
 */
import { parseMoney } from "./parse-money.ts";

/**
 * Parses `value` with `columnCurrency` as the default; a cell that names another currency fails.
 * `shown` is the cell as the reason quotes it, `owner` what the currency belongs to ("row", "order").
 */
export function parseMoneyCell(
  value: string | number,
  columnCurrency: string | null,
  opts: { shown: string; owner: string; defaultCurrency?: string; decimal?: "." | "," },
): { ok: true; amount: string; currency: string | null } | { ok: false; reason: string } {
  const money = parseMoney(value, {
    defaultCurrency: columnCurrency ?? opts.defaultCurrency,
    decimal: opts.decimal,
  });
  if (!money.ok) return money;
  if (columnCurrency && money.currency !== columnCurrency) {
    return { ok: false, reason: `'${opts.shown}' is not in ${columnCurrency}, the ${opts.owner}'s currency` };
  }
  return money;
}
