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
    } catch (error) {
      // The deliveries stay pending for the next drain; say so once a minute at most.
      this.#again = false;
      if (Date.now() - this.#lastError > 60_000) {
        this.#lastError = Date.now();
        console.error(`webhook drain: stopped, deliveries left pending: ${describeDatabaseError(error)}`);
      }
    }
  }
}
