/**
 * ClaimedEvent: a stored delivery a drain has taken to process. Claims keep two drains (two
 * isolates, the scheduled drain and a request's) from processing the same delivery at once; the
 * stored row itself is the queue, so a process that dies holding a claim loses nothing.
 */
import { type Kysely, sql } from "kysely";
import type { Database, WebhookStatus } from "../db/types.ts";

/** A claimed delivery, with what processing it needs. */
export interface ClaimedEvent {
  id: string;
  source: string;
  payload: unknown;
  /** When the delivery was first received: what its records' unknown change times become. */
  receivedAt: Date;
}

/** Which deliveries {@link claimEvents} may take. */
export interface ClaimFilter {
  source: string;
  /** Default `pending`; replay adds `failed`. */
  statuses?: readonly WebhookStatus[];
  /** Leave pending deliveries younger than this alone (replay: a request's drain has them). */
  minAgeSeconds?: number;
  /** Only deliveries after this one, in claim order (replay takes each delivery once). */
  after?: { receivedAt: Date; id: string };
  limit: number;
  /** How long a claim holds when its backend cannot be watched (behind a pooler). */
  leaseSeconds?: number;
}

/**
 * Claims last 15 s: a batch takes well under a second, and a second claim is only extra work. Where
 * the claiming backend cannot be watched (behind a pooler; embedded PGlite, whose one backend never
 * goes away) the lease alone frees the claims of a batch the database broke off.
 */
export const LEASE_SECONDS = 15;

/**
 * Claims up to `limit` deliveries of one source, oldest first, in one statement. A claim holds
 * while its lease runs and the backend that made it lives: a process that dies takes its backends
 * with it, so its claims lapse at once; behind a pooler, whose backends outlive their clients, the
 * lease ends them. `FOR UPDATE SKIP LOCKED` lets concurrent drains take disjoint batches without
 * waiting on each other.
 */
export async function claimEvents(db: Kysely<Database>, filter: ClaimFilter): Promise<ClaimedEvent[]> {
  const statuses = (filter.statuses ?? ["pending"]).filter((s) => s === "pending" || s === "failed");
  if (statuses.length === 0) return [];
  const minAge = filter.minAgeSeconds ?? 0;
  const after = filter.after
    ? sql`and (received_at, id) > (${filter.after.receivedAt}::timestamptz, ${filter.after.id}::bigint)`
    : sql``;
  const result = await sql<{ id: string; payload: unknown; received_at: Date }>`
    with candidates as (
      -- The open-events index (source, received_at) serves this in claim order.
      select id from webhook_events
      where source = ${filter.source}
        -- Literal statuses, so the planner can prove the open-events index's predicate.
        and status in (${sql.join(statuses.map((s) => sql.lit(s)))})
        and (status <> 'pending' or received_at <= now() - make_interval(secs => ${minAge}))
        and (claimed_until is null or claimed_until < now()
             or claimed_by not in (select pid from pg_stat_activity where pid is not null))
        ${after}
      order by received_at, id
      limit ${filter.limit}
      for update skip locked
    )
    update webhook_events e
    set claimed_until = now() + make_interval(secs => ${filter.leaseSeconds ?? LEASE_SECONDS}),
        claimed_by = pg_backend_pid()
    from candidates c
    where e.id = c.id
    returning e.id, e.payload, e.received_at`.execute(db);
  return result.rows
    .map((r) => ({ id: String(r.id), source: filter.source, payload: r.payload, receivedAt: r.received_at }))
    .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || Number(a.id) - Number(b.id));
}

/** What processing made of one delivery. */
export interface EventOutcome {
  id: string;
  status: WebhookStatus;
  error: string | null;
}

/** Records the outcomes of a batch, and ends its claims, in one statement. */
export async function settleEvents(db: Kysely<Database>, outcomes: readonly EventOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  // The reason may quote the payload, and a text column cannot hold its NULs.
  const rows = JSON.stringify(
    outcomes.map((o) => ({
      id: o.id,
      status: o.status,
      error: o.error?.replaceAll("\u0000", "\uFFFD").slice(0, 1000) ?? null,
    })),
  );
  await sql`
    update webhook_events e
    set status = o.status, error = o.error, processed_at = now(), attempts = e.attempts + 1,
        claimed_until = null, claimed_by = null
    from json_to_recordset(${rows}::text::json) as o(id bigint, status text, error text)
    where e.id = o.id`.execute(db);
}

/** How many pending deliveries of `sources` a claim holds now (taken, not yet settled). */
export async function claimedPending(db: Kysely<Database>, sources: readonly string[]): Promise<number> {
  if (sources.length === 0) return 0;
  const row = await db.selectFrom("webhook_events").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("source", "in", sources).where("status", "=", "pending").where("claimed_until", ">=", new Date())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
