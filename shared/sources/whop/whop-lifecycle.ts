/**
 * The order of states of each Whop object, as a rank: when two versions of one object carry the
 * same change time, the one further along its lifecycle wins (a `paid` payment beats the `open` one
 * `payment.created` announced in the same second, the peer bug of sources.md §8). States the
 * lifecycle cannot order (two terminal ones) share a rank, and then the version received later wins.
 *
 * Statuses are Whop's documented ones (sources.md §2.3; disputes from `@whop/sdk`
 * `DisputeStatuses`). An unknown or missing status ranks 0: it never wins a tie on its rank.
 */

/** payment: draft < open < pending < unresolved < uncollectible, void < paid < partly refunded < refunded. */
const PAYMENT: Readonly<Record<string, number>> = {
  draft: 1,
  open: 2,
  pending: 3,
  unresolved: 4,
  uncollectible: 5,
  void: 5,
  paid: 6,
};

/** membership: drafted < trialing < active < past_due < canceling < canceled, completed < expired. */
const MEMBERSHIP: Readonly<Record<string, number>> = {
  drafted: 1,
  trialing: 2,
  active: 3,
  past_due: 4,
  unresolved: 4,
  canceling: 5,
  canceled: 6,
  completed: 6,
  expired: 7,
};

/** refund: pending < requires_action < succeeded, failed, canceled (terminal). */
const REFUND: Readonly<Record<string, number>> = {
  pending: 1,
  requires_action: 2,
  succeeded: 3,
  failed: 3,
  canceled: 3,
};

/**
 * dispute: an inquiry (warning_needs_response < warning_under_review) < needs_response <
 * under_review < the outcomes won, lost, closed, warning_closed (terminal).
 */
const DISPUTE: Readonly<Record<string, number>> = {
  warning_needs_response: 1,
  warning_under_review: 2,
  needs_response: 3,
  under_review: 4,
  won: 5,
  lost: 5,
  closed: 5,
  warning_closed: 5,
};

const RANKS = { payment: PAYMENT, membership: MEMBERSHIP, refund: REFUND, dispute: DISPUTE };

/** What the rank of an object is read from. */
export interface WhopState {
  status?: string | null;
  /** A payment's `substatus` (`refunded`, `partially_refunded`, …). */
  substatus?: string | null;
  /** A payment's `refunded_amount`, as a decimal string. */
  refunded?: string | null;
}

/**
 * The lifecycle rank of an object of `kind` in `state`.
 *
 * @example
 * whopRank("payment", { status: "open" }) < whopRank("payment", { status: "paid" }) // true
 */
export function whopRank(kind: keyof typeof RANKS, state: WhopState): number {
  const base = RANKS[kind][state.status ?? ""] ?? 0;
  if (kind !== "payment" || base !== PAYMENT.paid) return base;
  // A refund follows the sale it refunds: partly, then wholly.
  if (state.substatus === "refunded") return base + 2;
  const refunded = state.refunded && !/^0(\.0*)?$/.test(state.refunded);
  return refunded || state.substatus === "partially_refunded" ? base + 1 : base;
}
