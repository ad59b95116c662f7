/**
 * Whop states money as JSON numbers in major units (`49.0` = $49). Records carry money as exact
 * decimal strings, so the number must become text without the float artefacts that arithmetic
 * would introduce and without the exponent notation `String()` uses for very large or small values.
 */

// The exponent bound keeps a hostile `"1e999999"` from expanding into a megabyte of zeros.
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;
const MAX_EXPONENT = 60;

/**
 * The exact decimal text of a Whop money value, canonical (no exponent, no leading or trailing
 * zeros beyond what the value needs), or `null` when the value is absent or not a number.
 *
 * A JSON number becomes the shortest decimal that round-trips to the same double, which is the
 * literal Whop wrote for any amount with up to 15 significant digits.
 *
 * @example
 * whopMoney(49.0);     // "49"
 * whopMoney(45.12);    // "45.12"
 * whopMoney("10.430"); // "10.43"
 * whopMoney(1e-7);     // "0.0000001"
 * whopMoney(null);     // null
 */
export function whopMoney(value: unknown): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? canonicalDecimal(String(value)) : null;
  if (typeof value === "string") return canonicalDecimal(value.trim());
  return null;
}

/** Rewrites decimal (or exponent) text as a plain canonical decimal; `null` when it is not one. */
function canonicalDecimal(text: string): string | null {
  const match = DECIMAL.exec(text);
  if (!match) return null;
  const [, sign, whole = "", fraction = "", exponentText = "0"] = match;
  if (whole === "" && fraction === "") return null;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) return null;

  // Shift the decimal point by the exponent over the digit string.
  const digits = whole + fraction;
  const point = whole.length + exponent;
  let integerPart: string;
  let fractionPart: string;
  if (point <= 0) {
    integerPart = "0";
    fractionPart = "0".repeat(-point) + digits;
  } else if (point >= digits.length) {
    integerPart = digits + "0".repeat(point - digits.length);
    fractionPart = "";
  } else {
    integerPart = digits.slice(0, point);
    fractionPart = digits.slice(point);
  }
  integerPart = integerPart.replace(/^0+(?=\d)/, "");
  fractionPart = fractionPart.replace(/0+$/, "");

  const magnitude = fractionPart === "" ? integerPart : `${integerPart}.${fractionPart}`;
  // "-0" and "-0.00" are zero; a sign on zero would only make equal amounts compare unequal.
  if (/^0(\.0*)?$/.test(magnitude)) return "0";
  return sign === "-" ? `-${magnitude}` : magnitude;
}
