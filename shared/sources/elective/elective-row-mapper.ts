/**
 * The RowMapper of an Elective orders export, for a sheet source of kind ELECTIVE and for
 * `elective:import`. Elective does not publish its header strings, so the columns are detected;
 * a source's `column_map` (email, name, amount, date, currency) can name them instead.
 */

import { PayloadError } from "../../errors.ts";
import { type ColumnField, type ColumnMap, headerKey } from "../tabular/detect-columns.ts";
import { RowHasher } from "../tabular/row-hash.ts";
import { listHeaders, type RowMapperFactory } from "../tabular/row-mapper.ts";
import {
  detectElectiveColumns,
  type ElectiveColumns,
  type ElectiveField,
  headerQualifier,
} from "./elective-columns.ts";
import { mapElectiveRows } from "./map-elective-row.ts";

// A sheet source's column_map fields, as Elective's fields.
const MAPPED: Record<ColumnField, ElectiveField> = {
  email: "email",
  name: "name",
  amount: "orderTotal",
  date: "purchaseDate",
  currency: "currency",
};

const LABEL: Record<ElectiveField, string> = {
  purchaseDate: "Purchase Date",
  name: "Customer Name",
  email: "Email",
  product: "Checkout",
  currency: "Currency",
  orderTotal: "Order Total",
  term: "Term",
  firstPayment: "First Payment",
  fees: "Fees",
  netAmount: "Net Amount",
  type: "Type",
  status: "Status",
};

/**
 * Builds the Elective mapper from the first chunk: columns detected from headers (the email by
 * content if need be), `columnMap` entries win. Refuses an export that lacks Purchase Date, Order
 * Total or Status, since its revenue would be wrong. Orders that fail to map are reported without
 * a key (their identity is unknown), so a full read that met one deletes nothing.
 */
export function electiveRowMapper(options: { scope: string; columnMap?: ColumnMap }): RowMapperFactory {
  return (first) => {
    const detected = detectElectiveColumns(first.headers, first.rows.slice(0, 50));
    const columns: ElectiveColumns = { ...detected.columns };
    const explicit = new Set<ElectiveField>();
    for (const [field, header] of Object.entries(options.columnMap ?? {}) as [ColumnField, string][]) {
      const target = MAPPED[field];
      if (!target) continue;
      const found = first.headers.find((h) => h === header) ??
        first.headers.find((h) => headerKey(h) === headerKey(header));
      if (found === undefined) {
        throw new PayloadError(
          `${field}: column_map names '${header}', which is not a header of the export (headers: ${
            listHeaders(first.headers)
          })`,
        );
      }
      columns[target] = found;
      explicit.add(target);
    }
    const missing = detected.missingRequired.filter((field) => !columns[field]);
    if (missing.length > 0) {
      throw new PayloadError(
        `the Elective export lacks ${missing.map((f) => `'${LABEL[f]}'`).join(", ")} (headers: ${
          listHeaders(first.headers)
        }); its revenue cannot be read`,
      );
    }
    const zone = headerQualifier(columns.purchaseDate);
    if (zone !== null && !/^(utc|gmt|z)$/i.test(zone)) {
      throw new PayloadError(
        `'${columns.purchaseDate}' is in ${zone}; Elective exports purchase dates in UTC, and only those are read`,
      );
    }
    const hasher = new RowHasher();
    const lines = (Object.keys(columns) as ElectiveField[]).map((field) =>
      `${field} ← '${columns[field]}'${explicit.has(field) ? " (column_map)" : ""}`
    );
    if (!columns.email) lines.push("email: no column; orders are stored without a person");
    return {
      columns: lines,
      map(chunk) {
        const mapped = mapElectiveRows(chunk, { scope: options.scope, columns, hasher });
        return {
          records: mapped.records,
          unmapped: mapped.failures.map((failure) => ({ key: null, reason: failure.reason })),
        };
      },
    };
  };
}
