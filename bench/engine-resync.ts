/**
 * Scenario 2, re-sync: the same records again, unchanged, into the database scenario 1 filled.
 * Nothing may be rewritten (`pg_stat_user_tables` n_tup_upd and n_tup_ins of the tables the engine
 * writes stay put) and a re-sync should cost a fraction of the first ingest.
 */
import { SyncRun } from "../shared/sync/sync-run.ts";
import { whopTable } from "../shared/sources/whop/table.ts";
import { type BenchContext, since } from "./context.ts";
import { settle, type TableStats, waitForStats } from "./bench-database.ts";
import { type IngestState, SYNC_OPTIONS } from "./engine-ingest.ts";
import { absoluteCheck, median, ms, num, ratioCheck, type ScenarioResult } from "./report.ts";

export const RESYNC = "2 re-sync unchanged";

const WRITTEN_TABLES = ["whop_data", "users"] as const;
type Written = (typeof WRITTEN_TABLES)[number];

export async function engineResync(ctx: BenchContext, state: IngestState): Promise<ScenarioResult> {
  const { db, records, ingestMs } = state;
  const n = records.length;
  const rounds = ctx.sizes.rounds;
  // The first ingest's counters must be published before the reading the re-syncs are compared to:
  // its run inserted one sync_logs row.
  await waitForStats(db, "sync_logs", 1);
  const before = await readStats(db);
  const times: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    ctx.log(
      `${RESYNC}: SyncRun.once() of the same ${num(n)} records${
        rounds > 1 ? ` (${round} of ${rounds})` : ""
      }`,
    );
    // A pool per round: closing it ends the backend, which publishes its table counters.
    const conn = db.open({ max: 4, applicationName: "cs-bench-resync" });
    try {
      await Promise.all(Array.from({ length: 4 }, () => conn.sql`select 1`)); // as in (1)
      await settle(ctx.serverUrl);
      const start = performance.now();
      const result = await SyncRun.once(conn.kysely, whopTable, records, SYNC_OPTIONS);
      times.push(since(start));
      if (result.status !== "SUCCESS" || result.unchanged !== n) {
        throw new Error(
          `re-sync: expected ${n} unchanged, got ${JSON.stringify({ ...result, errors: undefined })}`,
        );
      }
    } finally {
      await conn.close();
    }
  }
  await waitForStats(db, "sync_logs", 1 + rounds);
  const after = await readStats(db);
  const rewritten = {} as Record<Written, number>;
  let total = 0;
  for (const table of WRITTEN_TABLES) {
    rewritten[table] = after[table].updated - before[table].updated + after[table].inserted -
      before[table].inserted;
    total += rewritten[table];
  }
  const resyncMs = median(times);
  const share = resyncMs / ingestMs;
  return {
    name: RESYNC,
    checks: [
      absoluteCheck(
        RESYNC,
        `${num(total)} rows rewritten (${WRITTEN_TABLES.map((t) => `${t} ${rewritten[t]}`).join(", ")})`,
        "0",
        total === 0,
      ),
      ratioCheck(RESYNC, ms(resyncMs), `first ingest ${ms(ingestMs)}`, share, { atMost: 0.3 }),
    ],
    measurements: {
      records: n,
      rounds,
      ms: times,
      medianMs: resyncMs,
      firstIngestMs: ingestMs,
      shareOfFirstIngest: share,
      rowsRewritten: rewritten,
    },
    notes: [
      `re-sync (2): the same call as (1) on the database it filled, ${rounds} time(s), median time over the ` +
      `median first ingest; rows rewritten = the change of pg_stat_user_tables n_tup_upd + n_tup_ins of ` +
      `${WRITTEN_TABLES.join(" and ")} across all re-syncs, read once their backends have published them.`,
    ],
  };
}

async function readStats(db: IngestState["db"]): Promise<Record<Written, TableStats>> {
  const out = {} as Record<Written, TableStats>;
  for (const table of WRITTEN_TABLES) out[table] = await db.tableStats(table);
  return out;
}
