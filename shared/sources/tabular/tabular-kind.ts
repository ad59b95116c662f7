/**
 * TabularKind: what one kind of tabular source brings to a pull: the table its rows go to and the
 * mapper that reads its rows. The pull of a sheet source is handed the kinds it may meet, so the
 * Google Sheets source reads an Elective export shared as a sheet without importing Elective.
 */
import type { SourceTable } from "../../sync/source-table.ts";
import type { ColumnMap } from "./detect-columns.ts";
import type { RowMapperFactory } from "./row-mapper.ts";

/** What a source's settings tell its mapper. */
export interface RowMapperOptions {
  /** The record scope: the source's URL. */
  scope: string;
  columnMap: ColumnMap;
  /** The sheet locale's decimal mark for `1.234`-like amounts (default `.`). */
  decimal?: "." | ",";
}

/** One kind of tabular source, as `sheet_sources.kind` names it. */
export interface TabularKind {
  /** The `sheet_sources.kind` value, e.g. `SHEET` or `ELECTIVE`. */
  kind: string;
  /** Where the rows of this kind are stored. */
  table: SourceTable;
  /** The mapper of one read of a source of this kind. */
  rowMapper(options: RowMapperOptions): RowMapperFactory;
}

/**
 * The entry of `kind` among `kinds`.
 *
 * @throws Error when `kinds` lacks it: the caller that built the list forgot a kind.
 * @example
 * const { table, rowMapper } = findTabularKind([sheetKind, electiveKind], source.kind);
 */
export function findTabularKind(kinds: readonly TabularKind[], kind: string): TabularKind {
  const found = kinds.find((k) => k.kind === kind);
  if (!found) {
    throw new Error(
      `no tabular kind '${kind}' was given (known: ${kinds.map((k) => k.kind).join(", ") || "none"})`,
    );
  }
  return found;
}
