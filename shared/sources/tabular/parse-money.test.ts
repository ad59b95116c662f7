import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { expandExponent, parseMoney } from "./parse-money.ts";

function amountOf(text: string | number, opts?: Parameters<typeof parseMoney>[1]) {
  const result = parseMoney(text, opts);
  if (!result.ok) throw new Error(`expected ok for ${String(text)}: ${result.reason}`);
  return result;
}

/** Formats integer cents with grouping, the way a spreadsheet displays them. */
function formatCents(cents: bigint, group: string, decimal: string): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const int = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${int}${decimal}${(abs % 100n).toString().padStart(2, "0")}`;
}

function exactCents(cents: bigint): string {
  const abs = cents < 0n ? -cents : cents;
  const text = `${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
  return cents < 0n ? `-${text}` : text;
}

describe("parseMoney", () => {
  it("reads the documented examples exactly", () => {
    expect(amountOf("$1,234.56")).toEqual({ ok: true, amount: "1234.56", currency: null });
    expect(amountOf("1.234,56 €")).toEqual({ ok: true, amount: "1234.56", currency: "EUR" });
    expect(amountOf("(12.00)").amount).toBe("-12.00");
    expect(amountOf("USD 50")).toEqual({ ok: true, amount: "50", currency: "USD" });
    expect(amountOf("-5").amount).toBe("-5");
    expect(amountOf("5-").amount).toBe("-5");
    expect(amountOf("−5").amount).toBe("-5");
    expect(amountOf("£3")).toEqual({ ok: true, amount: "3", currency: "GBP" });
    expect(amountOf("1,5").amount).toBe("1.5");
  });

  it("uses the column's default currency when the cell has none or only '$'", () => {
    expect(amountOf("12", { defaultCurrency: "cad" }).currency).toBe("CAD");
    expect(amountOf("$12", { defaultCurrency: "AUD" }).currency).toBe("AUD");
    expect(amountOf("€12", { defaultCurrency: "USD" }).currency).toBe("EUR");
    expect(amountOf("US$12").currency).toBe("USD");
  });

  it("refuses symbols that could be currencies far apart unless the column says which", () => {
    expect(parseMoney("¥500").ok).toBe(false);
    expect(amountOf("¥500", { defaultCurrency: "JPY" }).currency).toBe("JPY");
    expect(parseMoney("100 kr").ok).toBe(false);
    expect(amountOf("100 kr", { defaultCurrency: "SEK" }).currency).toBe("SEK");
  });

  it("refuses a cell whose code and symbol disagree", () => {
    const result = parseMoney("€50 USD");
    expect(result.ok).toBe(false);
  });

  it("reads a lone separator before exactly three digits by the sheet's decimal mark", () => {
    expect(amountOf("1,234").amount).toBe("1234");
    expect(amountOf("1.234").amount).toBe("1.234");
    expect(amountOf("1.234", { decimal: "," }).amount).toBe("1234");
    expect(amountOf("1,234", { decimal: "," }).amount).toBe("1.234");
  });

  it("reads grouping with spaces, apostrophes and Indian lakhs", () => {
    expect(amountOf("1 234,56 €").amount).toBe("1234.56");
    expect(amountOf("1\u202f234,56").amount).toBe("1234.56");
    expect(amountOf("CHF 1'234.50")).toEqual({ ok: true, amount: "1234.50", currency: "CHF" });
    expect(amountOf("₹1,23,45,678.00")).toEqual({ ok: true, amount: "12345678.00", currency: "INR" });
  });

  it("reads signs wherever spreadsheets put them", () => {
    expect(amountOf("-$1,234.56").amount).toBe("-1234.56");
    expect(amountOf("$-5").amount).toBe("-5");
    expect(amountOf("($12.00)").amount).toBe("-12.00");
    expect(amountOf("(USD 12.00)").amount).toBe("-12.00");
    expect(amountOf("+7").amount).toBe("7");
    expect(amountOf("-0.00").amount).toBe("0.00");
  });

  it("reads an accounting zero (a dash beside the currency mark) as zero", () => {
    expect(amountOf("$ -")).toEqual({ ok: true, amount: "0", currency: null });
    expect(amountOf(" $   -   ")).toEqual({ ok: true, amount: "0", currency: null });
    expect(amountOf("$-").amount).toBe("0");
    expect(amountOf("-€")).toEqual({ ok: true, amount: "0", currency: "EUR" });
    expect(amountOf("USD -")).toEqual({ ok: true, amount: "0", currency: "USD" });
    expect(amountOf("$ -", { defaultCurrency: "CAD" }).currency).toBe("CAD");
    // A lone dash is a placeholder, not an amount; two dashes are no accounting format.
    expect(parseMoney("-").ok).toBe(false);
    expect(parseMoney("$ - -").ok).toBe(false);
    expect(parseMoney("¥ -").ok).toBe(false);
  });

  it("reads Swiss grouping typed with a typographic apostrophe", () => {
    expect(amountOf("1’234.56").amount).toBe("1234.56");
    expect(amountOf("CHF 1’234’567.05")).toEqual({ ok: true, amount: "1234567.05", currency: "CHF" });
    expect(amountOf("1’234").amount).toBe("1234");
  });

  it("never reads placeholders or garbage as zero", () => {
    for (
      const text of [
        "",
        "  ",
        "-",
        "—",
        "N/A",
        "n/a",
        "none",
        "null",
        "TBD",
        "#VALUE!",
        "#N/A",
        "abc",
        "12abc",
        "1.2.3",
        "12 34",
        "50%",
        "--5",
        "(5",
        "$",
        "USD",
        "( )",
      ]
    ) {
      const result = parseMoney(text);
      expect(result.ok, `'${text}'`).toBe(false);
      if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
    }
    expect(parseMoney(null).ok).toBe(false);
  });

  it("reads full-width digits and scientific notation", () => {
    expect(amountOf("１２３").amount).toBe("123");
    expect(amountOf("1.5E+3").amount).toBe("1500");
  });

  it("converts Sheets API numbers exactly to their shortest decimal", () => {
    expect(amountOf(1234.56).amount).toBe("1234.56");
    expect(amountOf(-0).amount).toBe("0");
    expect(amountOf(1.5e-7).amount).toBe("0.00000015");
    expect(amountOf(0.1 + 0.2).amount).toBe("0.30000000000000004");
  });

  it("rejects non-finite and absurd numbers with a reason", () => {
    for (const n of [NaN, Infinity, -Infinity, 1e308, -1e16, 1e-300]) {
      const result = parseMoney(n);
      expect(result.ok, String(n)).toBe(false);
    }
  });

  it("rejects absurdly long integer text", () => {
    expect(parseMoney("1234567890123456").ok).toBe(false);
    expect(amountOf("123456789012345").amount).toBe("123456789012345");
  });

  it("round-trips any amount of cents through every common display format", () => {
    const cents = fc.bigInt({ min: -(10n ** 16n) + 1n, max: 10n ** 16n - 1n });
    fc.assert(
      fc.property(
        cents,
        fc.constantFrom("us", "eu", "paren", "trailing", "code", "minus", "plain"),
        (c, style) => {
          const abs = c < 0n ? -c : c;
          const sign = c < 0n ? "-" : "";
          const text = {
            us: `${sign}$${formatCents(abs, ",", ".")}`,
            eu: `${sign}${formatCents(abs, ".", ",")} €`,
            paren: c < 0n ? `(${formatCents(abs, ",", ".")})` : formatCents(abs, ",", "."),
            trailing: `${formatCents(abs, ",", ".")}${c < 0n ? "-" : ""}`,
            code: `USD ${sign}${formatCents(abs, "", ".")}`,
            minus: `${c < 0n ? "−" : ""}£${formatCents(abs, " ", ".")}`,
            plain: `${sign}${formatCents(abs, "", ".")}`,
          }[style];
          const result = amountOf(text);
          expect(result.amount).toBe(c === 0n ? "0.00" : exactCents(c));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("turns any plausible number into a plain decimal that parses back to the same number", () => {
    const plausible = fc.double({ min: -1e14, max: 1e14, noNaN: true }).filter((n) =>
      n === 0 || Math.abs(n) >= 1e-9
    );
    fc.assert(
      fc.property(plausible, (n) => {
        const { amount } = amountOf(n);
        expect(amount).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Number(amount)).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws and only ever answers a plain decimal", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const result = parseMoney(text);
        if (result.ok) expect(result.amount).toMatch(/^-?\d+(\.\d+)?$/);
        // Without a digit only an accounting zero (a currency mark and one dash, `$ -`) reads, as 0.
        if (!/\d/.test(text.normalize("NFKC")) && result.ok) {
          expect(result.amount).toBe("0");
          expect(text).toMatch(/-/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("expandExponent", () => {
  it("moves digits without arithmetic", () => {
    expect(expandExponent("1.5e-7")).toBe("0.00000015");
    expect(expandExponent("-2E+3")).toBe("-2000");
    expect(expandExponent("1.2345e2")).toBe("123.45");
    expect(expandExponent("42")).toBe("42");
  });
});
