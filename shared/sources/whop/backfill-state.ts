/**
 * WhopBackfillState: where one Whop backfill stands, as saved in `sync_checkpoints` under
 * `whop:backfill` after every page, together with the `sync_logs` id of the run it continues.
 */
import type { WhopListResource } from "./whop-api.ts";

/** The checkpoint's name in `sync_checkpoints`. */
export const WHOP_BACKFILL_CHECKPOINT = "whop:backfill";

/** The lists a backfill reads, in order. */
export const WHOP_BACKFILL_RESOURCES: readonly WhopListResource[] = ["payments", "memberships"];

/** The checkpoint: where one backfill stands. */
export interface WhopBackfillState {
  /** One backfill, from its first page to its last. */
  id: string;
  /** A full backfill soft-deletes, per resource, what Whop no longer returns. */
  full: boolean;
  resource: WhopListResource;
  /** The cursor after the last page written; `null` before the resource's first page. */
  after: string | null;
  /** The `sync_logs` id of the resource's run; `null` until the run starts. */
  runId: string | null;
  /** Pages and objects of `resource` read so far. */
  pages: number;
  records: number;
  startedAt: string;
}

/** A backfill about to read its first page of payments. */
export function newBackfillState(full: boolean): WhopBackfillState {
  return {
    id: crypto.randomUUID(),
    full,
    resource: WHOP_BACKFILL_RESOURCES[0],
    after: null,
    runId: null,
    pages: 0,
    records: 0,
    startedAt: new Date().toISOString(),
  };
}

/**
 * The saved state when it has the expected shape, else `null`: a checkpoint from another version
 * is ignored, and a fresh start is always safe.
 */
export function parseBackfillState(value: unknown): WhopBackfillState | null {
  const s = value as Partial<WhopBackfillState> | null;
  if (!s || typeof s !== "object" || typeof s.id !== "string" || typeof s.full !== "boolean") return null;
  if (!WHOP_BACKFILL_RESOURCES.includes(s.resource as WhopListResource)) return null;
  if (s.after !== null && typeof s.after !== "string") return null;
  if (s.runId !== null && typeof s.runId !== "string") return null;
  return { pages: 0, records: 0, startedAt: "", ...s } as WhopBackfillState;
}
