/**
 * The planning document's sync engine (plan.md §4), written faithfully with Kysely: for each record,
 * one transaction holding a user upsert by email and then the source row upsert. It is the baseline
 * the set-based engine is measured against.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../shared/db/types.ts";
import type { SourceRecord } from "../shared/sync/record.ts";

/** What the loop returns, as the plan's `results` object. */
export interface NaiveResult {
  created: number;
  updated: number;
  failed: number;
}

/**
 * plan.md §4 `syncSourceData('WHOP', records)`: `prisma.$transaction` → `db.transaction()`,
 * `tx.user.upsert({ where: { email }, update: {…}, create })` → insert … on conflict (email) do update
 * returning id, and `tx.whopData.upsert(…)` → insert … on conflict (external_whop_id) do update.
 * The only additions are the two columns our schema requires that the plan's model lacks
 * (`kind`, `source_updated_at`).
 */
export async function naiveSync(
  db: Kysely<Database>,
  records: readonly SourceRecord[],
): Promise<NaiveResult> {
  const results: NaiveResult = { created: 0, updated: 0, failed: 0 };
  for (const record of records) {
    try {
      const email = record.email!.toLowerCase().trim();
      await db.transaction().execute(async (tx) => {
        // 1. Resolve User. "update name if priority allows": keep a name the user has.
        const user = await tx.insertInto("users")
          .values({ email, name: record.name })
          .onConflict((oc) =>
            oc.column("email").doUpdateSet({ name: sql`coalesce(users.name, excluded.name)` })
          )
          .returning("id")
          .executeTakeFirstOrThrow();
        // 2. Resolve Source Record.
        const rawData = JSON.stringify(record.raw);
        await tx.insertInto("whop_data")
          .values({
            user_id: user.id,
            external_whop_id: record.key,
            raw_data: rawData,
            kind: record.scope,
            source_updated_at: record.changedAt ?? new Date(),
          })
          .onConflict((oc) =>
            oc.column("external_whop_id").doUpdateSet({
              raw_data: rawData,
              last_synced: new Date(),
              deleted_at: null,
            })
          )
          .execute();
      });
      results.updated++;
    } catch {
      results.failed++;
    }
  }
  return results;
}
