/**
 * Finds the columns of an Elective orders export. Elective's help centre lists the columns but
 * not their exact header strings, and two versions of the page differ ("Customer" vs "Student"
 * name, "Checkout" vs "Product Purchased"), so headers are matched loosely; the email column, which
 * the documentation does not promise, is found by header or, failing that, by content.
 */

import { headerKey } from "../tabular/detect-columns.ts";

/** The fields of an Elective order this project reads. */
export type ElectiveField =
  | "purchaseDate"
  | "name"
  | "email"
  | "product"
  | "currency"
  | "orderTotal"
  | "term"
  | "firstPayment"
  | "fees"
  | "netAmount"
  | "type"
  | "status";

/** Field → header as written in the export. */
export type ElectiveColumns = Partial<Record<ElectiveField, string>>;

/** Without these an import would count revenue wrongly: the caller should refuse it. */
export const REQUIRED_ELECTIVE_FIELDS: readonly ElectiveField[] = ["purchaseDate", "orderTotal", "status"];

// Candidates per field, best first, as `headerKey` writes them.
const CANDIDATES: Record<ElectiveField, string[]> = {
  purchaseDate: ["purchasedate", "purchasedat", "orderdate", "date", "createdat", "created"],
  name: ["customerstudentname", "customername", "studentname", "customer", "student", "name", "fullname"],
  email: [
    "customeremail",
    "studentemail",
    "email",
    "emailaddress",
    "customeremailaddress",
    "studentemailaddress",
  ],
  product: [
    "checkoutproductpurchased",
    "checkout",
    "productpurchased",
    "product",
    "checkoutname",
    "productname",
  ],
  currency: ["currency", "currencycode"],
  orderTotal: ["ordertotal", "total", "checkouttotal", "grossamount", "gross", "amount"],
  term: ["term", "termmonths", "months"],
  firstPayment: ["firstpayment"],
  fees: ["fees", "fee"],
  netAmount: ["netamount", "net", "netpayout", "payout"],
  type: ["type", "ordertype"],
  status: ["status", "orderstatus"],
};

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Maps Elective's fields to the export's headers. When no header names an email, a column
 * whose non-empty cells in `sample` are mostly email addresses is taken as the email column.
 *
 * @example
 * detectElectiveColumns(["Purchase Date", "Student Name", "Order Total", "Status"]).columns.name
 * // "Student Name"
 */
export function detectElectiveColumns(
  headers: string[],
  sample: Record<string, unknown>[] = [],
): { columns: ElectiveColumns; missing: ElectiveField[]; missingRequired: ElectiveField[] } {
  // "Purchase Date (UTC)" and "Order Total (USD)" are the Purchase Date and the Order Total.
  const keys = headers.map((header) => headerKey(withoutQualifier(header)));
  const used = new Set<number>();
  const columns: ElectiveColumns = {};
  for (const field of Object.keys(CANDIDATES) as ElectiveField[]) {
    for (const candidate of CANDIDATES[field]) {
      const index = keys.findIndex((key, i) => key === candidate && !used.has(i));
      if (index >= 0) {
        columns[field] = headers[index];
        used.add(index);
        break;
      }
    }
  }
  if (!columns.email) {
    const byHeader = keys.findIndex((key, i) => key.includes("email") && !used.has(i));
    const byContent = headers.findIndex((header, i) =>
      !used.has(i) && mostlyEmails(sample.map((row) => row[header]))
    );
    const index = byHeader >= 0 ? byHeader : byContent;
    if (index >= 0) columns.email = headers[index];
  }
  const missing = (Object.keys(CANDIDATES) as ElectiveField[]).filter((field) => !columns[field]);
  return { columns, missing, missingRequired: REQUIRED_ELECTIVE_FIELDS.filter((field) => !columns[field]) };
}

/** A header's qualifier in parentheses (`Order Total (USD)` → `USD`), or `null`. */
export function headerQualifier(header: string | undefined): string | null {
  const match = header?.match(/\(([^)]*)\)\s*$/);
  return match ? match[1].trim() : null;
}

function withoutQualifier(header: string): string {
  return header.replace(/\([^)]*\)/g, " ");
}

function mostlyEmails(cells: unknown[]): boolean {
  const filled = cells.map((cell) => String(cell ?? "").trim()).filter(Boolean);
  return filled.length > 0 && filled.filter((text) => EMAIL.test(text)).length / filled.length >= 0.8;
}
