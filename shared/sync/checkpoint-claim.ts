/**
 * CheckpointClaim: exclusive use of one `sync_checkpoints` row for a while. A backfill slice
 * claims its checkpoint before it reads it and renews the claim with every save, so two slices
 * (two overlapping cron calls, or the CLI beside the cron) never advance one cursor or finish one
 * run twice. A crashed holder's claim simply runs out.
 * Generic over the checkpoint's state, so any sliced pull or backfill can use it.
 */
import { type Kysely, sql } from "kysely";
import type { Database } from "../db/types.ts";

/** A held claim: the state as it was when claimed (`null` when the row is new). */
export interface CheckpointClaim<T> {
  name: string;
  token: string;
  state: T | null;
}

/**
 * The claim on a checkpoint ran out and another holder took the checkpoint over: this holder must
 * stop without touching the state or the run, which the new holder now carries on.
 */
export class ClaimLostError extends Error {
  constructor(readonly checkpoint: string) {
    super(`lost the claim on checkpoint ${checkpoint}: another run took it over`);
    this.name = "ClaimLostError";
  }
}

/** The fields a claim adds to the stored state; they are stripped from what callers see. */
const CLAIM_FIELDS = ["claimToken", "claimedUntil"] as const;

/**
 * Claims checkpoint `name` for `seconds`, creating the row when it is missing.
 *
 * @returns the claim, or `{ heldUntil }` when another holder's claim has not run out.
 * @example
 *   const claim = await claimCheckpoint<MyState>(db, "ghl:backfill:loc1", 300);
 *   if ("heldUntil" in claim) return "busy";
 */
export async function claimCheckpoint<T>(
  db: Kysely<Database>,
  name: string,
  seconds: number,
): Promise<CheckpointClaim<T> | { heldUntil: string }> {
  const token = crypto.randomUUID();
  const claimed = sql`jsonb_build_object('claimToken', ${token}::text,
                                         'claimedUntil', now() + make_interval(secs => ${seconds}))`;
  // One statement decides: a new row, or an existing one whose claim is absent or has run out.
  const result = await sql<{ state: Record<string, unknown>; inserted: boolean }>`
    insert into sync_checkpoints as c (name, state) values (${name}, ${claimed})
    on conflict (name) do update set state = c.state || ${claimed}
      where coalesce((c.state ->> 'claimedUntil')::timestamptz, '-infinity') < now()
    returning c.state, (xmax = 0) as inserted`.execute(db);
  const row = result.rows[0];
  if (!row) {
    const held = await db.selectFrom("sync_checkpoints").select(
      sql<string>`state ->> 'claimedUntil'`.as("until"),
    )
      .where("name", "=", name).executeTakeFirst();
    return { heldUntil: held?.until ?? "unknown" };
  }
  return { name, token, state: row.inserted ? null : (withoutClaim(row.state) as T) };
}

/**
 * Replaces the state of a held checkpoint and renews the claim for `seconds`.
 *
 * @throws ClaimLostError when the claim was lost (it ran out and another holder took the
 *   checkpoint); a database that cannot be reached throws its own error.
 */
export async function saveClaimed<T>(
  db: Kysely<Database>,
  claim: CheckpointClaim<T>,
  state: T,
  seconds: number,
): Promise<void> {
  const result = await sql`
    update sync_checkpoints
       set state = ${JSON.stringify(state)}::text::jsonb ||
                   jsonb_build_object('claimToken', ${claim.token}::text,
                                      'claimedUntil', now() + make_interval(secs => ${seconds}))
     where name = ${claim.name} and state ->> 'claimToken' = ${claim.token}`.execute(db);
  if (Number(result.numAffectedRows ?? 0) === 0) {
    throw new ClaimLostError(claim.name);
  }
  claim.state = state;
}

/**
 * Deletes a held checkpoint, state and all: the work it tracked is over and the next call starts
 * afresh.
 *
 * @throws ClaimLostError when the claim was lost.
 */
export async function forgetClaimed(db: Kysely<Database>, claim: CheckpointClaim<unknown>): Promise<void> {
  const result = await sql`
    delete from sync_checkpoints where name = ${claim.name} and state ->> 'claimToken' = ${claim.token}`
    .execute(db);
  if (Number(result.numAffectedRows ?? 0) === 0) throw new ClaimLostError(claim.name);
  claim.state = null;
}

/** Gives the checkpoint up, keeping its state; a claim already lost is left alone. */
export async function releaseClaim(db: Kysely<Database>, claim: CheckpointClaim<unknown>): Promise<void> {
  await sql`
    update sync_checkpoints set state = state - 'claimToken' - 'claimedUntil'
     where name = ${claim.name} and state ->> 'claimToken' = ${claim.token}`.execute(db);
}

function withoutClaim(state: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...state };
  for (const field of CLAIM_FIELDS) delete copy[field];
  return copy;
}
