/**
 * SheetSource: one row of `sheet_sources`, a sheet or Elective export to pull: where it is, what
 * kind of rows it holds, which headers mean what, and when it is due.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../../db/types.ts";
import type { ColumnMap } from "../tabular/detect-columns.ts";
import type { DecimalMark, SheetKind } from "./sheet-source-input.ts";

/** A configured source, as the pull reads it. */
export interface SheetSource {
  id: string;
  name: string;
  kind: SheetKind;
  /** A CSV URL, or `sheets:{ID}!{range}` for the Sheets API (see `resolveSheetUrl`). */
  url: string;
  columnMap: ColumnMap;
  /** A 5-field cron expression, in UTC. */
  schedule: string;
  enabled: boolean;
  /** The sheet locale's decimal mark for `1.234`-like amounts (default `.`). */
  decimalMark: DecimalMark;
  /** When the last complete read finished (SUCCESS or PARTIAL); `null` when never. */
  lastPulledAt: Date | null;
}

/** The fields `sheets:add` sets; those left undefined keep their stored (or default) value. */
export interface SheetSourceChange {
  name: string;
  url?: string;
  kind?: SheetKind;
  columnMap?: ColumnMap;
  schedule?: string;
  enabled?: boolean;
  decimalMark?: DecimalMark;
}

type Row = {
  id: string;
  name: string;
  kind: SheetKind;
  url: string;
  column_map: Record<string, string>;
  schedule: string;
  enabled: boolean;
  decimal_mark: DecimalMark | null;
  last_pulled_at: Date | null;
};

function fromRow(row: Row): SheetSource {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: row.url,
    columnMap: (row.column_map ?? {}) as ColumnMap,
    schedule: row.schedule,
    enabled: row.enabled,
    decimalMark: row.decimal_mark ?? ".",
    lastPulledAt: row.last_pulled_at,
  };
}

const COLUMNS = [
  "id",
  "name",
  "kind",
  "url",
  "column_map",
  "schedule",
  "enabled",
  "decimal_mark",
  "last_pulled_at",
] as const;

/** Every source, by name; `enabledOnly` leaves out the disabled ones. */
export async function listSheetSources(
  db: Kysely<Database>,
  options: { enabledOnly?: boolean } = {},
): Promise<SheetSource[]> {
  let query = db.selectFrom("sheet_sources").select(COLUMNS).orderBy("name");
  if (options.enabledOnly) query = query.where("enabled", "=", true);
  return (await query.execute()).map(fromRow);
}

/** The source named `name`, or `null`. */
export async function findSheetSource(db: Kysely<Database>, name: string): Promise<SheetSource | null> {
  const row = await db.selectFrom("sheet_sources").select(COLUMNS).where("name", "=", name)
    .executeTakeFirst();
  return row ? fromRow(row) : null;
}

/**
 * Creates the source `change.name` or updates the fields `change` sets, in one statement.
 *
 * @returns the stored source and what it was before (`null` when it is new).
 * @throws Error when a new source has no URL.
 */
export async function saveSheetSource(
  db: Kysely<Database>,
  change: SheetSourceChange,
): Promise<{ source: SheetSource; previous: SheetSource | null }> {
  return await db.transaction().execute(async (trx) => {
    const previous = await trx.selectFrom("sheet_sources").select(COLUMNS).where("name", "=", change.name)
      .forUpdate().executeTakeFirst();
    const map = change.columnMap === undefined
      ? undefined
      : sql<string>`${JSON.stringify(change.columnMap)}::text::jsonb`;
    let row: Row;
    if (previous) {
      row = await trx.updateTable("sheet_sources").set({
        ...(change.url !== undefined ? { url: change.url } : {}),
        ...(change.kind !== undefined ? { kind: change.kind } : {}),
        ...(map !== undefined ? { column_map: map } : {}),
        ...(change.schedule !== undefined ? { schedule: change.schedule } : {}),
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        ...(change.decimalMark !== undefined ? { decimal_mark: change.decimalMark } : {}),
      }).where("id", "=", previous.id).returning(COLUMNS).executeTakeFirstOrThrow();
    } else {
      if (change.url === undefined) {
        throw new Error(`there is no source named ${change.name}; give --url to add it`);
      }
      row = await trx.insertInto("sheet_sources").values({
        name: change.name,
        url: change.url,
        kind: change.kind,
        ...(map !== undefined ? { column_map: map } : {}),
        ...(change.schedule !== undefined ? { schedule: change.schedule } : {}),
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        ...(change.decimalMark !== undefined ? { decimal_mark: change.decimalMark } : {}),
      }).returning(COLUMNS).executeTakeFirstOrThrow();
    }
    return { source: fromRow(row), previous: previous ? fromRow(previous) : null };
  });
}

/** Records a complete read of the source. */
export async function markSheetPulled(db: Kysely<Database>, id: string, at: Date): Promise<void> {
  await db.updateTable("sheet_sources").set({ last_pulled_at: at }).where("id", "=", id).execute();
}
