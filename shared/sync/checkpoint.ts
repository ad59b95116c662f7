/**
 * Checkpoints: named JSON state in `sync_checkpoints`, so interrupted work resumes where it stopped.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";

/** The saved state, or `null` when there is none. */
export async function loadCheckpoint<T>(db: Kysely<Database>, name: string): Promise<T | null> {
  const row = await db.selectFrom("sync_checkpoints").select("state").where("name", "=", name)
    .executeTakeFirst();
  return (row?.state as T | undefined) ?? null;
}

/** Saves `state` under `name`, replacing what was there. */
export async function saveCheckpoint(db: Kysely<Database>, name: string, state: unknown): Promise<void> {
  await sql`
    insert into sync_checkpoints (name, state) values (${name}, ${JSON.stringify(state)}::text::jsonb)
    on conflict (name) do update set state = excluded.state`.execute(db);
}

/** Forgets the state under `name` (the work finished). */
export async function clearCheckpoint(db: Kysely<Database>, name: string): Promise<void> {
  await db.deleteFrom("sync_checkpoints").where("name", "=", name).execute();
}
