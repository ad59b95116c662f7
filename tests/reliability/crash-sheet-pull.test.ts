/**
 * Crash during a large sheet pull: `npm run cli -- sheets:pull` (real Deno) is killed with SIGKILL
 * while it streams a 6,000-row sheet. No chunk is half-written (each chunk is one statement), the
 * dead pull's claim keeps a second pull from racing it while the claim lasts, and once its claim
 * and lease have run out (fast-forwarded here, as ten minutes would) the next pull completes the
 * sheet and leaves no run RUNNING.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer } from "../helpers/csv-server.ts";
import { saveSheetSource } from "../../shared/sources/sheets/sheet-sources.ts";

const require = createRequire(import.meta.url);
const ROWS = Number(process.env.RELIABILITY_SHEET_ROWS ?? 6_000);
const CHUNK = 1000;
let t: TestDatabase;
let csv: CsvServer;

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
}, 60_000);
afterAll(async () => {
  await csv?.close();
  await t?.close();
});

function cli(...args: string[]) {
  const child = spawn(process.execPath, [
    require.resolve("deno/bin.cjs"),
    "run",
    "-A",
    "shared/cli/main.ts",
    ...args,
  ], {
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DATABASE_URL: t.url },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so a kill reaches the deno binary under the wrapper
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const kill = (signal: NodeJS.Signals) => process.kill(-child.pid!, signal);
  return { child, exited, kill, output: () => out };
}

const rowCount = async () =>
  (await t.sql<{ n: number }[]>`select count(*)::int as n from sheet_data where deleted_at is null`)[0].n;

describe("a sheet pull killed with SIGKILL", () => {
  it(
    "leaves no half-written chunk, and the next pull after the claim runs out completes the sheet",
    async () => {
      csv.set("big", {
        kind: "generated",
        header: ["Date", "Name", "Email", "Amount"],
        rows: ROWS,
        row: (
          i,
        ) => [
          `2024-03-${String((i % 28) + 1).padStart(2, "0")}`,
          `Buyer ${i}`,
          `buyer${i % 4000}@example.com`,
          `${i}.50`,
        ],
      });
      const { source } = await saveSheetSource(t.kysely, { name: "big", url: csv.exportUrl("big") });

      const first = cli("sheets:pull", "--source", "big");
      const until = Date.now() + 60_000;
      while ((await rowCount()) < 2 * CHUNK && Date.now() < until && first.child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 20));
      }
      first.kill("SIGKILL");
      await first.exited;
      expect(first.child.signalCode, first.output()).toBe("SIGKILL");

      // A statement the database had already received still completes (or rolls back) on its own.
      let written = await rowCount();
      for (let stable = 0; stable < 5; await new Promise((r) => setTimeout(r, 100))) {
        const now = await rowCount();
        stable = now === written ? stable + 1 : 0;
        written = now;
      }
      // Each chunk is one statement: whole chunks only, never part of one.
      expect(written).toBeGreaterThanOrEqual(2 * CHUNK);
      expect(written).toBeLessThan(ROWS);
      expect(written % CHUNK).toBe(0);
      const [interrupted] = await t.kysely.selectFrom("sync_logs").selectAll().where("source", "=", "SHEET")
        .execute();
      expect(interrupted.status).toBe("RUNNING");

      // While the dead pull's claim lasts, another pull stands back and changes nothing.
      const busy = cli("sheets:pull", "--source", "big");
      expect(await busy.exited).toBe(1);
      expect(busy.output()).toMatch(/BUSY|busy|held/);
      expect(await rowCount()).toBe(written);

      // Ten minutes later (fast-forwarded): the claim and the run's lease have run out.
      await sql`update sync_checkpoints set state = state || jsonb_build_object('claimedUntil', now() - interval '1 minute')`
        .execute(t.kysely);
      await sql`update sync_logs set lease_until = now() - interval '1 minute' where status = 'RUNNING'`
        .execute(t.kysely);
      const next = cli("sheets:pull", "--source", "big");
      expect(await next.exited, next.output()).toBe(0);
      expect(await rowCount()).toBe(ROWS);
      const logs = await t.kysely.selectFrom("sync_logs").select([
        "id",
        "status",
        "error_message",
        "created",
        "unchanged",
      ])
        .where("source", "=", "SHEET").orderBy("started_at").execute();
      expect(logs.filter((l) => l.status === "RUNNING")).toEqual([]);
      const last = logs[logs.length - 1];
      expect(last.status).toBe("SUCCESS");
      const path = last.id === interrupted.id
        ? "resumed the interrupted run"
        : "failed it and pulled in a new run";
      if (last.id !== interrupted.id) {
        expect(logs.find((l) => l.id === interrupted.id)?.status).toBe(
          "FAILED",
        );
      }
      expect(
        await t
          .sql`select 1 from sheet_data where source_url = ${source.url} group by row_hash having count(*) > 1`,
      )
        .toHaveLength(0);
      console.log(
        `[reliability] sheet-pull crash (${
          t.server ? "server" : "PGlite"
        }): SIGKILL after ${written} of ${ROWS} rows ` +
          `(whole ${CHUNK}-row chunks only); a second pull stood back while the claim lasted; the next pull ${path} ` +
          `and completed all ${ROWS} rows`,
      );
    },
    120_000,
  );
});
