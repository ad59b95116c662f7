/**
 * ISO 4217 codes and currency symbols, for reading the currency out of a money cell.
 */

// Active ISO 4217 codes (precious metals and testing codes left out: nobody sells in XAU).
const ISO_4217 = new Set(
  ("AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP " +
    "BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB " +
    "EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD " +
    "JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU " +
    "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD " +
    "RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY " +
    "TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW " +
    "ZWG ZWL").split(" "),
);

/** What a currency symbol says: one code, or a set of candidates the sheet's default must pick from. */
export type SymbolMeaning = { code: string } | { candidates: readonly string[] };

const DOLLARS = ["USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "ARS", "CLP", "COP", "TWD"] as const;

// Longest first, so "US$" is read before "$".
const SYMBOLS: ReadonlyArray<[string, SymbolMeaning]> = [
  ["US$", { code: "USD" }],
  ["CA$", { code: "CAD" }],
  ["AU$", { code: "AUD" }],
  ["NZ$", { code: "NZD" }],
  ["HK$", { code: "HKD" }],
  ["MX$", { code: "MXN" }],
  ["CN¥", { code: "CNY" }],
  ["JP¥", { code: "JPY" }],
  ["C$", { code: "CAD" }],
  ["A$", { code: "AUD" }],
  ["S$", { code: "SGD" }],
  ["R$", { code: "BRL" }],
  ["zł", { code: "PLN" }],
  ["Kč", { code: "CZK" }],
  ["kr", { candidates: ["SEK", "NOK", "DKK", "ISK"] }],
  ["€", { code: "EUR" }],
  ["£", { code: "GBP" }],
  ["₹", { code: "INR" }],
  ["₩", { code: "KRW" }],
  ["₽", { code: "RUB" }],
  ["₺", { code: "TRY" }],
  ["₪", { code: "ILS" }],
  ["₱", { code: "PHP" }],
  ["₫", { code: "VND" }],
  ["฿", { code: "THB" }],
  ["₴", { code: "UAH" }],
  ["₦", { code: "NGN" }],
  ["¥", { candidates: ["JPY", "CNY"] }],
  // "$" is the dollar of a dozen countries; unstated money counts as USD downstream.
  ["$", { candidates: DOLLARS }],
];

/** True for an active ISO 4217 code (upper-case). */
export function isCurrencyCode(code: string): boolean {
  return ISO_4217.has(code);
}

/** The symbol `text` starts with, if any (longest match). */
export function leadingSymbol(text: string): [string, SymbolMeaning] | null {
  for (const entry of SYMBOLS) if (text.startsWith(entry[0])) return entry;
  return null;
}

/** The symbol `text` ends with, if any (longest match). */
export function trailingSymbol(text: string): [string, SymbolMeaning] | null {
  for (const entry of SYMBOLS) if (text.endsWith(entry[0])) return entry;
  return null;
}

/**
 * The ISO code a currency cell names: an ISO code in any case (`usd`), or an unambiguous symbol
 * (`€`); `null` for anything else, including the ambiguous `$`.
 */
export function currencyOf(text: string): string | null {
  const trimmed = text.trim();
  const upper = trimmed.toUpperCase();
  if (isCurrencyCode(upper)) return upper;
  const symbol = SYMBOLS.find(([s]) => s === trimmed);
  return symbol && "code" in symbol[1] ? symbol[1].code : null;
}
