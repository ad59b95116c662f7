/**
 * Scenario 1, engine ingest: Whop payment records from one source into an empty database with the
 * set-based engine (`sync`), beside the planning document's per-record loop and a COPY of the same
 * rows. The three run in turn for a few rounds (the machines are shared and noisy) and the medians
 * are compared. The last round's database stays for the re-sync (scenario 2).
 */
import type { SourceRecord } from "../shared/sync/record.ts";
import { SyncRun } from "../shared/sync/sync-run.ts";
import { whopTable } from "../shared/sources/whop/table.ts";
import { type BenchContext, since } from "./context.ts";
import { type BenchDatabase, createBenchDatabase, settle, withBenchDatabase } from "./bench-database.ts";
import { naiveSync } from "./naive-loop.ts";
import { copyInto, dumpRows, ENGINE_COLUMNS } from "./copy-load.ts";
import { median, num, rate, ratioCheck, type ScenarioResult } from "./report.ts";
import { whopPaymentRecords } from "./whop-payments.ts";

export const INGEST = "1 engine ingest";

/** What COPY loads: every column the engine wrote; the rest are the table's defaults. */
const COPY_COLUMNS = ["external_whop_id", "kind", "raw_data", ...ENGINE_COLUMNS];

/** What scenario 2 needs from scenario 1. */
export interface IngestState {
  db: BenchDatabase;
  records: SourceRecord[];
  /** The median time of the first ingest. */
  ingestMs: number;
}

/**
 * The options of the engine run, shared with the re-sync so both do the same work: an incremental
 * sync, as the brief states it (`SyncRun.once(db, whopTable, records)`).
 */
export const SYNC_OPTIONS = {} as const;

interface Round {
  loopMs: number;
  engineMs: number;
  copyMs: number;
  copyBytes: number;
}

export async function engineIngest(
  ctx: BenchContext,
): Promise<{ result: ScenarioResult; state: IngestState }> {
  const n = ctx.sizes.ingestRecords;
  const sample = Math.min(ctx.sizes.naiveSample, n);
  const rounds = ctx.sizes.rounds;
  ctx.log(`${INGEST}: mapping ${num(n)} synthetic Whop payments with the Whop mapper`);
  const records = whopPaymentRecords(n);

  const done: Round[] = [];
  let kept: BenchDatabase | null = null;
  try {
    for (let round = 1; round <= rounds; round++) {
      const tag = rounds > 1 ? ` (round ${round} of ${rounds})` : "";
      ctx.log(`${INGEST}${tag}: the plan's per-record loop on ${num(sample)} records`);
      const loopMs = await planLoop(ctx, records.slice(0, sample), round);
      ctx.log(`${INGEST}${tag}: the engine, SyncRun.once() of ${num(n)} records`);
      const { db, ms: engineMs } = await engineRun(ctx, records, round);
      if (kept) await kept.drop();
      kept = db;
      ctx.log(`${INGEST}${tag}: COPY of the ${num(n)} rows the engine stored`);
      const { ms: copyMs, bytes: copyBytes } = await copyRun(ctx, db, round);
      done.push({ loopMs, engineMs, copyMs, copyBytes });
    }
  } catch (error) {
    await kept?.drop();
    throw error;
  }

  const loopRate = median(done.map((r) => sample / (r.loopMs / 1000)));
  const engineRate = median(done.map((r) => n / (r.engineMs / 1000)));
  const copyRate = median(done.map((r) => n / (r.copyMs / 1000)));
  // Each ratio is the median of the rounds' own ratios: a round's three runs follow one another,
  // so a shared machine's drift between rounds cancels out instead of landing on one side.
  const perRound = {
    loop: done.map((r) => (n / r.engineMs) / (sample / r.loopMs)),
    copy: done.map((r) => r.copyMs / r.engineMs),
  };
  const figure = rate(engineRate, "rec");
  return {
    state: { db: kept!, records, ingestMs: median(done.map((r) => r.engineMs)) },
    result: {
      name: INGEST,
      checks: [
        ratioCheck(INGEST, figure, `plan loop ${rate(loopRate, "rec")}`, median(perRound.loop), {
          atLeast: 30,
        }),
        ratioCheck(INGEST, figure, `COPY ${rate(copyRate, "rec")}`, median(perRound.copy), { atLeast: 0.5 }),
      ],
      measurements: {
        records: n,
        planLoopSample: sample,
        medians: {
          engineRecordsPerSecond: engineRate,
          planLoopRecordsPerSecond: loopRate,
          copyRowsPerSecond: copyRate,
        },
        ratiosPerRound: perRound,
        rounds: done,
        copyColumns: COPY_COLUMNS,
      },
      notes: [
        `engine (1): SyncRun.once(db, whopTable, records) into an empty database, with the engine's own chunking and ` +
        `writers on a pool of 4 connections (the functions' DB_POOL_MAX default), connected before timing; ` +
        `${rounds} round(s), each on a fresh database; the rates shown are medians, each ratio is the median ` +
        `of the rounds' own ratios (per round: ${
          perRound.loop.map((x) => `${x.toFixed(1)}x`).join(", ")
        } the loop; ${perRound.copy.map((x) => `${x.toFixed(2)}x`).join(", ")} COPY).`,
        `plan loop (1): per record one transaction of a user upsert and a whop_data upsert (plan.md §4, Kysely) on ` +
        `the first ${num(sample)} records; rate = records / elapsed.`,
        `COPY (1): the ${num(n)} rows the engine stored (${COPY_COLUMNS.join(", ")}; ` +
        `${
          num(done[0].copyBytes / 2 ** 20)
        } MiB of COPY text, dumped untimed) loaded with COPY FROM STDIN into ` +
        `whop_copy (like whop_data including all: the same indexes and checks, no foreign key, no trigger) in a ` +
        `fresh database.`,
      ],
    },
  };
}

async function planLoop(ctx: BenchContext, sample: readonly SourceRecord[], round: number): Promise<number> {
  return await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_loop${round}`, async (db) => {
    const conn = db.open({ max: 1, applicationName: "cs-bench-loop" });
    try {
      await settle(ctx.serverUrl);
      const start = performance.now();
      const result = await naiveSync(conn.kysely, sample);
      const elapsed = since(start);
      if (result.failed > 0) throw new Error(`the plan loop failed ${result.failed} records`);
      return elapsed;
    } finally {
      await conn.close();
    }
  });
}

async function engineRun(
  ctx: BenchContext,
  records: readonly SourceRecord[],
  round: number,
): Promise<{ db: BenchDatabase; ms: number }> {
  const db = await createBenchDatabase(ctx.serverUrl, `${ctx.runId}_ingest${round}`);
  const conn = db.open({ max: 4, applicationName: "cs-bench-engine" });
  try {
    // Connected before the clock starts, as COPY's connection is (and as a warm function's pool is).
    await Promise.all(Array.from({ length: 4 }, () => conn.sql`select 1`));
    await settle(ctx.serverUrl);
    const start = performance.now();
    const result = await SyncRun.once(conn.kysely, whopTable, records, SYNC_OPTIONS);
    const ms = since(start);
    if (result.status !== "SUCCESS" || result.created !== records.length) {
      throw new Error(
        `expected ${records.length} created, got ${JSON.stringify({ ...result, errors: undefined })}`,
      );
    }
    return { db, ms };
  } catch (error) {
    await db.drop();
    throw error;
  } finally {
    await conn.close().catch(() => {});
  }
}

async function copyRun(
  ctx: BenchContext,
  from: BenchDatabase,
  round: number,
): Promise<{ ms: number; bytes: number }> {
  const source = from.open({ max: 1, applicationName: "cs-bench-dump" });
  const dump = await dumpRows(source.sql, "whop_data", COPY_COLUMNS).finally(() => source.close());
  const ms = await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_copy${round}`, async (target) => {
    const conn = target.open({ max: 1, applicationName: "cs-bench-copy" });
    try {
      await settle(ctx.serverUrl);
      return await copyInto(conn.sql, "whop_data", "whop_copy", dump);
    } finally {
      await conn.close();
    }
  });
  return { ms, bytes: dump.bytes };
}
