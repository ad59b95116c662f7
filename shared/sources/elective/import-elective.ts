/**
 * importElectiveCsv: an Elective orders export (the dashboard's EXPORT CSV) into `elective_data`,
 * streamed chunk by chunk through the same mapper a sheet source of kind ELECTIVE uses.
 *
 * Every import into one scope shares its row identities (an order's key ignores its status), so
 * importing the same export again changes nothing, and a later export updates the orders whose
 * status flipped (Approved → Refunded). An import is not a complete set unless the operator says
 * so (`full`): exports are often filtered by date, and a filtered export must not delete the
 * older orders it leaves out.
 */
import type { Kysely } from "kysely";
import type { Database, SyncStatus } from "../../db/types.ts";
import { isUnavailable } from "../../db/client.ts";
import { oneLine, PayloadError } from "../../errors.ts";
import { SyncRun } from "../../sync/sync-run.ts";
import { csvRows } from "../tabular/csv-stream.ts";
import { streamIntoRun } from "../tabular/stream-into-run.ts";
import type { ColumnMap } from "../tabular/detect-columns.ts";
import { electiveRowMapper } from "./elective-row-mapper.ts";
import { electiveTable } from "./table.ts";
import { type ExportLinks, exportLinks } from "./export-links.ts";

/** The scope of imported exports unless `--scope` names another. */
export const DEFAULT_ELECTIVE_SCOPE = "elective:orders";

/** Options of {@link importElectiveCsv}. */
export interface ElectiveImportOptions {
  /** Which set of orders the import belongs to (default `elective:orders`). */
  scope?: string;
  /** The file is every order of the scope: orders it lacks are soft-deleted (safety valve applies). */
  full?: boolean;
  /** Soft-delete past the safety valve (with `full`). */
  force?: boolean;
  maxDeleteShare?: number;
  chunkRows?: number;
  columnMap?: ColumnMap;
  log?: (line: string) => void;
}

/** What an import did. */
export interface ElectiveImportResult {
  status: SyncStatus;
  scope: string;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  syncLogId: string;
  columns: string[];
  rows: number;
  /** The one-line reason of a FAILED import (nothing was deleted). */
  error?: string;
  rowErrors: string[];
  deleteRefused?: { wouldDelete: number; live: number };
  /** How its rows met the Zapier feed (absent when the import failed). */
  links?: ExportLinks;
}

/**
 * Imports an export read as a byte stream, as one logged run. A refused file (required columns
 * missing, no orders, not CSV) closes the run FAILED with the reason and deletes nothing.
 *
 * @throws only when the database is unavailable.
 * @example
 * const result = await importElectiveCsv(db, file.readable, { scope: "elective:orders" });
 */
export async function importElectiveCsv(
  db: Kysely<Database>,
  body: ReadableStream<Uint8Array>,
  options: ElectiveImportOptions = {},
): Promise<ElectiveImportResult> {
  const scope = options.scope ?? DEFAULT_ELECTIVE_SCOPE;
  const run = await SyncRun.start(db, electiveTable, { scope, full: options.full === true });
  let columns: string[] = [];
  try {
    const outcome = await streamIntoRun(
      csvRows(body, { chunkRows: options.chunkRows }),
      electiveRowMapper({ scope, columnMap: options.columnMap }),
      (records, unmapped) => run.write(records, unmapped),
      {
        onColumns(detected) {
          columns = detected;
          options.log?.(`columns: ${detected.join(", ")}`);
        },
        onWritten: (position) => Promise.resolve(options.log?.(`${position.rowsDone} orders read`)),
      },
    );
    if (outcome.rowsDone === 0) throw new PayloadError("the export has a header row but no orders");
    const result = await run.finish({
      complete: true,
      force: options.force,
      maxDeleteShare: options.maxDeleteShare,
    });
    return {
      status: result.status,
      scope,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      deleted: result.deleted,
      failed: result.failed,
      syncLogId: run.id,
      columns,
      rows: outcome.rowsDone,
      rowErrors: result.errors.slice(0, 5).map((e) => e.reason),
      ...(result.deleteRefused ? { deleteRefused: result.deleteRefused } : {}),
      links: await exportLinks(db, scope),
    };
  } catch (error) {
    if (isUnavailable(error)) throw error;
    const reason = oneLine(error);
    const result = await run.fail(reason);
    return {
      status: "FAILED",
      scope,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      deleted: 0,
      failed: result.failed,
      syncLogId: run.id,
      columns,
      rows: 0,
      error: reason,
      rowErrors: result.errors.slice(0, 5).map((e) => e.reason),
    };
  } finally {
    await body.cancel().catch(() => {});
  }
}
