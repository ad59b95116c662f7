/**
 * Shared set-up of the sheet tests: a source pointing at the local CSV server, and a pull with
 * fast retries (no real waiting between attempts).
 */
import type { Kysely } from "kysely";
import type { Database } from "../../shared/db/types.ts";
import { pullSheets, type PullSheetsOptions } from "../../shared/sources/sheets/pull-due.ts";
import type { PullSummary } from "../../shared/sources/sheets/pull.ts";
import { saveSheetSource, type SheetSourceChange } from "../../shared/sources/sheets/sheet-sources.ts";
import { sheetKind } from "../../shared/sources/sheets/sheet-kind.ts";
import { electiveKind } from "../../shared/sources/elective/elective-kind.ts";

/** The kinds of sheet source the function and the CLI pull. */
export const KINDS = [sheetKind, electiveKind];

/** Waits recorded instead of slept. */
export const sleeps: number[] = [];

/** Download settings for tests: quick timeouts, waits recorded instead of slept. */
export const FAST_CSV = {
  timeoutMs: 400,
  sleep: (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
};

/** Adds (or changes) a source. */
export async function addSource(db: Kysely<Database>, change: SheetSourceChange) {
  return (await saveSheetSource(db, change)).source;
}

/** Pulls one source by name, to the end unless a budget is given. */
export async function pull(
  db: Kysely<Database>,
  name: string,
  options: Omit<PullSheetsOptions, "source" | "kinds"> = {},
): Promise<PullSummary> {
  const [summary] = await pullSheets(db, { kinds: KINDS, csv: FAST_CSV, ...options, source: name });
  return summary;
}

/** The live rows of a scope: hash → data, for comparing whole pulls. */
export async function liveRows(db: Kysely<Database>, table: "sheet_data" | "elective_data", scope: string) {
  const rows = await db.selectFrom(table)
    .select([
      "row_hash",
      "email",
      "name",
      "amount",
      "currency",
      "date",
      "is_revenue",
      "refunded_amount",
      "user_id",
      "data",
    ])
    .where("source_url", "=", scope).where("deleted_at", "is", null).orderBy("row_hash").execute();
  return rows;
}

/** The sync_logs row of a run. */
export async function logOf(db: Kysely<Database>, id: string | null) {
  return await db.selectFrom("sync_logs").selectAll().where("id", "=", id!).executeTakeFirstOrThrow();
}
