/**
 * Finds which header of a sheet holds the email, name, amount, date and currency, from the
 * source's `column_map` or from the headers people usually write.
 */

/** The fields a `sheet_sources.column_map` can name (interfaces.md §4). */
export type ColumnField = "email" | "name" | "amount" | "date" | "currency";

/** A source's `column_map`: field → header as written in the sheet. */
export type ColumnMap = Partial<Record<ColumnField, string>>;

/**
 * Field → header found in this sheet. `firstName`/`lastName` are detected only when no single
 * name column exists, so a "First Name" + "Last Name" sheet still yields a name.
 */
export type DetectedColumns = Partial<Record<ColumnField | "firstName" | "lastName", string>>;

/** What `detectColumns` found, in words an operator can read in a sync log. */
export interface ColumnDetection {
  map: DetectedColumns;
  /** One line per field found, e.g. `email ← 'E-mail'` or `amount ← 'Total' (column_map)`. */
  detected: string[];
  /** Fields with no column (`column_map` entries naming a header the sheet lacks included). */
  missing: ColumnField[];
  /** `column_map` entries naming a header the sheet does not have, one line each. */
  errors: string[];
}

/** Header text with case, spaces and punctuation removed: "E-mail Address" → "emailaddress". */
export function headerKey(header: string): string {
  return header.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

// Candidate headers per field, best first, as `headerKey` writes them.
const CANDIDATES: Record<ColumnField | "firstName" | "lastName", string[]> = {
  email: [
    "email",
    "emailaddress",
    "customeremail",
    "studentemail",
    "buyeremail",
    "clientemail",
    "contactemail",
    "purchaseremail",
    "useremail",
    "customeremailaddress",
    "mail",
    "emailid",
  ],
  name: [
    "name",
    "fullname",
    "customername",
    "studentname",
    "customer",
    "buyername",
    "buyer",
    "clientname",
    "client",
    "contactname",
    "purchasername",
    "customerstudentname",
    "student",
  ],
  firstName: ["firstname", "first", "givenname", "forename"],
  lastName: ["lastname", "last", "surname", "familyname"],
  amount: [
    "amount",
    "total",
    "ordertotal",
    "price",
    "amountpaid",
    "totalpaid",
    "paid",
    "saleamount",
    "sale",
    "revenue",
    "grandtotal",
    "totalamount",
    "paymentamount",
    "payment",
    "gross",
    "grossamount",
    "value",
    "charge",
    "amountcharged",
  ],
  date: [
    "date",
    "purchasedate",
    "created",
    "createdat",
    "orderdate",
    "saledate",
    "paymentdate",
    "paiddate",
    "paidat",
    "datecreated",
    "createddate",
    "purchasedat",
    "transactiondate",
    "timestamp",
    "datetime",
  ],
  currency: ["currency", "currencycode", "curr", "ccy"],
};

const FIELDS: ColumnField[] = ["email", "name", "amount", "date", "currency"];

/**
 * Maps fields to headers. An explicit `columnMap` entry wins (matched exactly, then ignoring case,
 * spaces and punctuation); other fields are detected from usual headers. Each header serves at
 * most one field. An email column is also found by any header containing "email".
 *
 * @example
 * detectColumns(["E-mail", "Full Name", "Order Total", "Purchase Date"]).detected
 * // ["email ← 'E-mail'", "name ← 'Full Name'", "amount ← 'Order Total'", "date ← 'Purchase Date'"]
 */
export function detectColumns(headers: string[], columnMap: ColumnMap = {}): ColumnDetection {
  const map: DetectedColumns = {};
  const detected: string[] = [];
  const errors: string[] = [];
  const used = new Set<string>();
  const keys = headers.map(headerKey);

  for (const field of FIELDS) {
    const wanted = columnMap[field]?.trim();
    if (!wanted) continue;
    const index = headers.indexOf(wanted) >= 0 ? headers.indexOf(wanted) : keys.indexOf(headerKey(wanted));
    if (index < 0) {
      errors.push(`${field}: column_map names '${wanted}', which is not a header of the sheet`);
      continue;
    }
    map[field] = headers[index];
    used.add(headers[index]);
    detected.push(`${field} ← '${headers[index]}' (column_map)`);
  }

  const find = (field: keyof typeof CANDIDATES): string | undefined => {
    for (const candidate of CANDIDATES[field]) {
      const index = keys.findIndex((key, i) => key === candidate && !used.has(headers[i]));
      if (index >= 0) return headers[index];
    }
    if (field === "email") return headers.find((h, i) => keys[i].includes("email") && !used.has(h));
    return undefined;
  };

  for (const field of FIELDS) {
    if (map[field] !== undefined || columnMap[field]?.trim()) continue;
    const header = find(field);
    if (header === undefined) continue;
    map[field] = header;
    used.add(header);
    detected.push(`${field} ← '${header}'`);
  }

  if (map.name === undefined && !columnMap.name?.trim()) {
    for (const part of ["firstName", "lastName"] as const) {
      const header = find(part);
      if (header === undefined) continue;
      map[part] = header;
      used.add(header);
      detected.push(`${part} ← '${header}'`);
    }
  }

  const missing = FIELDS.filter((field) =>
    map[field] === undefined && !(field === "name" && (map.firstName || map.lastName))
  );
  return { map, detected, missing, errors };
}
