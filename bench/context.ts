/**
 * BenchContext: what every scenario gets from `bench/main.ts` — the server, the sizes of this run
 * and a progress logger.
 */

/** Sizes of one run; `--quick` shrinks them all. */
export interface BenchSizes {
  /** Rounds of the ingest scenario (figure and baselines in turn) and of the re-sync; medians are reported. */
  rounds: number;
  /** Records of the engine ingest and re-sync (scenarios 1 and 2). */
  ingestRecords: number;
  /** Records the naive per-record loop runs on; its rate is scaled, not its time. */
  naiveSample: number;
  /** Rows of the CSV the sheet pull reads (scenario 3). */
  sheetRows: number;
  /** Seconds of webhook load per server, and its concurrency (scenario 4). */
  webhookSeconds: number;
  webhookConnections: number;
  /** Source rows under the revenue views (scenario 5). */
  viewRows: number;
  /** Timed repetitions of each view query (the median is reported). */
  viewRepeats: number;
}

export interface BenchContext {
  /** The server's URL; each scenario creates its own databases on it. */
  serverUrl: string;
  quick: boolean;
  sizes: BenchSizes;
  /** A short run id, part of every database name, so two runs on one server do not collide. */
  runId: string;
  log(message: string): void;
}

export const FULL_SIZES: BenchSizes = {
  rounds: 5,
  ingestRecords: 100_000,
  naiveSample: 2_000,
  sheetRows: 100_000,
  webhookSeconds: 20,
  webhookConnections: 32,
  viewRows: 1_000_000,
  viewRepeats: 5,
};

export const QUICK_SIZES: BenchSizes = {
  rounds: 1,
  ingestRecords: 5_000,
  naiveSample: 300,
  sheetRows: 5_000,
  webhookSeconds: 3,
  webhookConnections: 32,
  viewRows: 50_000,
  viewRepeats: 3,
};

/** Milliseconds since `start`. */
export function since(start: number): number {
  return performance.now() - start;
}
