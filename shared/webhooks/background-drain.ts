/**
 * BackgroundDrain: processing after the answer. A webhook function stores a delivery, answers, and
 * calls `notify()`; the drain then processes what is pending in batches, on Supabase inside
 * `EdgeRuntime.waitUntil` (which keeps the isolate alive after the response), elsewhere in the same
 * process. Nothing waits on it: a slow batch delays no answer, and a process that dies before it
 * runs loses nothing, since every delivery it would process is already committed and the
 * scheduled `webhook-drain` (or `npm start`) takes it.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/types.ts";
import type { WebhookProcessor } from "./inbox.ts";
import { DRAIN_BATCH, drainEvents, type DrainTally } from "./drain.ts";
import { claimedPending } from "./claim.ts";
import { describeDatabaseError } from "../db/client.ts";
import { env } from "../env.ts";

/** Options of a {@link BackgroundDrain}. */
export interface BackgroundDrainOptions {
  /** Deliveries per batch (default {@link DRAIN_BATCH}). */
  batchSize?: number;
  /**
   * How long a notification waits before the drain starts (default 20 ms, `WEBHOOK_DRAIN_DELAY_MS`),
   * so deliveries arriving together are processed together.
   */
  delayMs?: number;
  /**
   * The longest one drain runs before it stops and waits for the next notification (default 60 s):
   * Supabase ends an isolate's background work with its wall clock (150 s on the free plan).
   */
  budgetMs?: number;
  /** Called after each drain (tests, logs). */
  onDrained?: (tally: DrainTally) => void;
}

/** What `EdgeRuntime.waitUntil` is, where the Supabase Edge runtime provides it. */
type WaitUntil = (work: Promise<unknown>) => void;

function edgeWaitUntil(): WaitUntil | null {
  const runtime = (globalThis as { EdgeRuntime?: { waitUntil?: WaitUntil } }).EdgeRuntime;
  return typeof runtime?.waitUntil === "function" ? runtime.waitUntil.bind(runtime) : null;
}

/**
 * One per function instance. At most one drain runs at a time; notifications while it runs are
 * folded into one more pass. The queue is the `webhook_events` table, so what the process holds
 * is one flag and at most one batch.
 */
export class BackgroundDrain {
  #running: Promise<void> | null = null;
  #again = false;
  #lastError = 0;
  /** The next retry after a drain the database interrupted (ms); 0 while drains succeed. */
  #retryMs = 0;

  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly processors: readonly WebhookProcessor[],
    private readonly options: BackgroundDrainOptions = {},
  ) {}

  /** Asks for the pending deliveries to be processed soon; returns at once. */
  notify(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#again = false;
    const running = this.#run().finally(() => {
      this.#running = null;
      if (this.#again) this.notify();
    });
    this.#running = running;
    edgeWaitUntil()?.(running);
  }

  /** Runs the drain again after a while: 1 s, doubling to 30 s while it keeps finding no way through. */
  #retryLater(): void {
    this.#retryMs = Math.min(Math.max(this.#retryMs * 2, 1_000), 30_000);
    const retry = setTimeout(() => this.notify(), this.#retryMs);
    // A pending retry must not keep a process (or a test) alive on its own.
    (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno?.unrefTimer(retry as unknown as number);
    (retry as unknown as { unref?: () => void }).unref?.();
  }

  /** Resolves once no drain is running (tests; a clean shutdown). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #run(): Promise<void> {
    const delay = this.options.delayMs ?? Number(env("WEBHOOK_DRAIN_DELAY_MS") ?? 20);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      const tally = await drainEvents(this.db(), this.processors, {
        batchSize: this.options.batchSize ?? DRAIN_BATCH,
        budgetMs: this.options.budgetMs ?? 60_000,
      });
      this.options.onDrained?.(tally);
      // Deliveries a broken-off batch still holds (its claim has not lapsed) are left for later:
      // come back for them rather than wait for the next delivery or the scheduled drain.
      const held = await claimedPending(this.db(), this.processors.map((p) => p.source));
      if (held > 0) this.#retryLater();
      else this.#retryMs = 0;
    } catch (error) {
      // The deliveries stay pending; this process tries again by itself (1 s, doubling to 30 s), so
      // what it had stored is processed once the database is back even if no delivery follows.
      // What a broken batch had claimed is taken again once its claim lapses (claim.ts).
      this.#again = false;
      this.#retryLater();
      if (Date.now() - this.#lastError > 60_000) {
        this.#lastError = Date.now();
        console.error(`webhook drain: stopped, deliveries left pending: ${describeDatabaseError(error)}`);
      }
    }
  }
}
