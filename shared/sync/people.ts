/**
 * resolvePeople: the `users` rows a chunk's records name, found or created by normalised email in
 * one statement, so the row statements carry ids instead of looking people up per record.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";
import type { PreparedRecord } from "./normalize.ts";

/** Each person's id by normalised email, as a run has learned them. Users are never deleted. */
export type People = Map<string, string>;

/**
 * Finds or creates the people `rows` name that `known` lacks and returns their ids, in one
 * statement in the usual case, so the row statements carry ids instead of probing `users` per
 * record. Emails are inserted in sorted order so two batches racing on the same new addresses take
 * their row locks in the same order and cannot deadlock; `do nothing` lets the loser of a race
 * reuse the winner's row. A tombstone only links to a person who exists: it never creates one.
 */
export async function resolvePeople(
  db: Kysely<Database>,
  rows: readonly PreparedRecord[],
  known: People,
): Promise<People> {
  const people: People = new Map();
  const create = new Map<string, string | null>();
  const find = new Set<string>();
  for (const r of rows) {
    if (!r.email || known.has(r.email)) continue;
    if (r.deleted) find.add(r.email);
    else if (!create.has(r.email) || (!create.get(r.email) && r.name)) create.set(r.email, r.name);
  }
  for (const email of create.keys()) find.delete(email);
  if (create.size === 0 && find.size === 0) return people;
  const emails = [...create.keys(), ...find];
  const names = [...create.values()];
  // `created` returns the people this statement made; the others are read from `users`, which
  // the statement sees as of its start: without the ones `created` inserts, and without a racing
  // run's committed after it began (the insert waited for those, then skipped them). Whoever is
  // still missing is read once more below.
  const found = await sql<{ id: string; email: string }>`
    with p as (
      select email, name, i <= ${create.size}::int as is_new
      from rows from (json_array_elements_text(${JSON.stringify(emails)}::text::json),
                      json_array_elements_text(${JSON.stringify(names)}::text::json))
           with ordinality as p(email, name, i)
    ), created as (
      insert into users (email, name)
      select email, name from p where is_new order by email
      on conflict (email) do nothing
      returning id, email
    )
    select id, email from created
    union all
    select u.id, p.email
    from p
    join lateral (select id from users where email = p.email limit 1) as u on true
    where not exists (select 1 from created c where c.email = p.email)`.execute(db);
  for (const r of found.rows) people.set(r.email, r.id);
  const missing = [...create.keys()].filter((email) => !people.has(email));
  if (missing.length === 0) return people;
  const late = await sql<{ id: string; email: string }>`
    select id, email from users
    where email in (select json_array_elements_text(${JSON.stringify(missing)}::text::json))`.execute(db);
  for (const r of late.rows) people.set(r.email, r.id);
  const lost = missing.find((email) => !people.has(email));
  if (lost) {
    throw new Error(`the person ${JSON.stringify(lost)} was deleted while this run wrote their records`);
  }
  return people;
}
