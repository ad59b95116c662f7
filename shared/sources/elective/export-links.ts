/**
 * exportLinks: how an imported export's rows met the Zapier feed, for the import's summary. A row
 * the feed also has is linked (it takes the feed's person and the feed's order counts); a row that
 * fits more than one feed order, or whose feed order fits more than one row, is ambiguous: it takes
 * nobody and is listed (the `elective_ambiguous_orders` view, migration `…_elective_feed.sql`).
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../../db/types.ts";

/** What {@link exportLinks} finds in one scope. */
export interface ExportLinks {
  /** Rows linked one to one to a feed order. */
  linked: number;
  /** Ambiguous rows, one line each (the first 20). */
  ambiguous: string[];
  ambiguousCount: number;
}

/** The links of the live rows of `scope`. */
export async function exportLinks(db: Kysely<Database>, scope: string): Promise<ExportLinks> {
  const ambiguous = await sql<{ line: string }>`
    select format('%s, %s, %s %s: %s feed orders and %s export rows fit',
                  to_char(purchase_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI'), coalesce(name, '?'),
                  order_total, nullif(product, ''), feed_orders, export_rows) as line
    from elective_ambiguous_orders where scope = ${scope}
    order by purchase_date, id`.execute(db);
  const covered = await sql<{ n: number }>`
    select count(*)::int as n from elective_data
    where source_url = ${scope} and deleted_at is null and amount_usd = 0 and parent_key like 'm:%'`
    .execute(db);
  return {
    linked: covered.rows[0].n - ambiguous.rows.length,
    ambiguous: ambiguous.rows.slice(0, 20).map((r) => r.line),
    ambiguousCount: ambiguous.rows.length,
  };
}
