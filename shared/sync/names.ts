/**
 * Names: each person's display name is the name of their best live source row (HighLevel, then
 * Whop, then a sheet, then Elective, newest first, as the `person_names` view ranks them). After a
 * run, `refreshTouchedNames` brings the people it touched up to date, reading their source rows
 * only where the run cannot vouch for the name they already have.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { PreparedRecord } from "./normalize.ts";
import type { SourceTable } from "./source-table.ts";

const UNSURE = Symbol("unsure");

/**
 * The names a run wrote, per person. A person is `UNSURE` once the run wrote them records under
 * two names, a tombstone, or moved a record away from them.
 */
export class NameLedger {
  #names = new Map<string, string | null | typeof UNSURE>();

  /** Notes committed records (each with its person's id set). */
  wrote(rows: readonly PreparedRecord[]): void {
    for (const r of rows) {
      if (!r.userId) continue;
      const name = r.deleted ? UNSURE : r.name;
      if (!this.#names.has(r.userId)) this.#names.set(r.userId, name);
      else if (this.#names.get(r.userId) !== name) this.#names.set(r.userId, UNSURE);
    }
  }

  /** Notes people a record moved away from. */
  movedFrom(userIds: readonly string[]): void {
    for (const id of userIds) this.#names.set(id, UNSURE);
  }

  /** The one name every record the run wrote for `userId` carried, or `UNSURE`. */
  nameOf(userId: string): string | null | typeof UNSURE {
    return this.#names.has(userId) ? this.#names.get(userId)! : UNSURE;
  }
}

/**
 * Refreshes the names of the people a run touched, on `connections` connections at once.
 *
 * A person whose records in this run all carried one name N, none a tombstone nor moved away, and
 * who is already called N, keeps N without their rows being read: the run only added rows named
 * N, so if another row R named otherwise is their best, R beat every row present when the run
 * that wrote R (or the run before this one) refreshed them, and that refresh named them after R,
 * not N. Everyone else is refreshed from their rows.
 */
export async function refreshTouchedNames(
  db: Kysely<Database>,
  touched: Iterable<string>,
  ledger: NameLedger,
  connections: number,
): Promise<void> {
  const sure: string[] = [];
  const sureNames: (string | null)[] = [];
  const unsure: string[] = [];
  for (const id of touched) {
    const name = ledger.nameOf(id);
    if (name === UNSURE) unsure.push(id);
    else {
      sure.push(id);
      sureNames.push(name);
    }
  }
  if (sure.length > 0) {
    const differ = await sql<{ id: string }>`
      select u.id
      from rows from (json_array_elements_text(${JSON.stringify(sure)}::text::json),
                      json_array_elements_text(${JSON.stringify(sureNames)}::text::json)) as p(id, name)
      join users u on u.id = p.id::uuid
      where u.name is distinct from p.name`.execute(db);
    for (const r of differ.rows) unsure.push(r.id);
  }
  // Contiguous id ranges, each locked in id order, so concurrent refreshes agree on the order.
  const ids = unsure.sort();
  const share = Math.ceil(ids.length / connections);
  await Promise.all(
    Array.from({ length: connections }, (_, w) => refreshNames(db, ids.slice(w * share, (w + 1) * share))),
  );
}

/**
 * Gives each person the name of their best live source row. Rows are locked in id order so
 * concurrent runs agree on the order; a person with no named live row keeps the name they had.
 */
export async function refreshNames(db: Kysely<Database>, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const ids = JSON.stringify(userIds);
  await sql`
    with best as (
      select distinct on (user_id) user_id, name
      from person_names
      -- One array, built once (an InitPlan), so each source table is read through its user_id
      -- index; an IN over a JSON set function is estimated at 100 rows and scans them all.
      where user_id = any (cast((select array_agg(value::uuid) from json_array_elements_text(${ids}::text::json)) as uuid[]))
      order by user_id, priority, source_updated_at desc
    ), target as (
      select u.id, b.name
      from users u join best b on b.user_id = u.id
      where u.name is distinct from b.name
      order by u.id
      -- NO KEY: the foreign keys of rows being inserted hold KEY SHARE locks on these people.
      for no key update of u
    )
    update users u set name = target.name from target where u.id = target.id`.execute(db);
}

/**
 * Refreshes the names of everyone with a row of `table` written since `since`: after a run that
 * stopped between writing its rows and refreshing their people's names.
 */
export async function refreshNamesWrittenSince(
  db: Kysely<Database>,
  table: SourceTable,
  since: Date,
): Promise<void> {
  const people = await sql<{ user_id: string }>`
    select distinct user_id from ${sql.table(table.table)}
    where last_synced >= ${since} and user_id is not null
    order by user_id`.execute(db);
  await refreshNames(db, people.rows.map((r) => r.user_id));
}
