/**
 * Scenario 3, sheet pull end to end: a CSV of logged sales served over local HTTP, fetched, parsed,
 * hashed and upserted by `pullSheetSource` in a separate process (bench/sheet-pull-child.ts),
 * beside a COPY of the same rows into an identical table. The puller's peak memory and CPU time are
 * its own.
 */
import type { BenchContext } from "./context.ts";
import { settle, withBenchDatabase } from "./bench-database.ts";
import { runProcess } from "./child-process.ts";
import { copyInto, dumpRows, ENGINE_COLUMNS } from "./copy-load.ts";
import { absoluteCheck, ms, num, rate, ratioCheck, type ScenarioResult } from "./report.ts";

export const SHEET_PULL = "3 sheet pull";

const COPY_COLUMNS = ["source_url", "row_hash", "data", ...ENGINE_COLUMNS];
const PRODUCTS = ["1:1 Coaching", "Group Program", "Course Vault", "Mastermind, Q3", "VIP Day"];

/** What the child prints. */
interface PullReport {
  summary: {
    status: string;
    created: number;
    updated: number;
    unchanged: number;
    failed: number;
    rows: number;
  };
  ms: number;
  cpuMs: number;
  peakRssKiB: number | null;
}

/** A sales sheet as people keep them: a money column with symbols and separators, some quoted text. */
export function salesCsv(rows: number): Uint8Array {
  const people = Math.ceil(rows / 2.5);
  const lines = ["Date,Customer Name,Email,Product,Amount,Notes"];
  for (let i = 0; i < rows; i++) {
    const p = i % people;
    const day = new Date(Date.UTC(2024, 0, 1) + (i % 700) * 86_400_000).toISOString().slice(0, 10);
    const cents = 1000 + ((i * 104_729) % 249_000);
    const amount = `$${num(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, "0")}`;
    const product = PRODUCTS[i % PRODUCTS.length];
    const notes = i % 10 === 0 ? `"paid in 2 parts, ""card"" then wire"` : i % 3 === 0 ? "renewal" : "";
    lines.push(
      `${day},Customer ${p},customer.${p}@example.com,${product.includes(",") ? `"${product}"` : product},` +
        `"${amount}",${notes}`,
    );
  }
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n");
}

export async function sheetPull(ctx: BenchContext): Promise<ScenarioResult> {
  const n = ctx.sizes.sheetRows;
  const csv = salesCsv(n);
  const server = serveCsv(csv);
  try {
    return await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_sheet`, async (db) => {
      ctx.log(
        `${SHEET_PULL}: pulling a ${num(n)}-row CSV (${
          num(csv.length / 2 ** 20, 1)
        } MiB) in a separate process`,
      );
      await settle(ctx.serverUrl);
      const { stdout } = await runProcess(Deno.execPath(), ["run", "-A", "bench/sheet-pull-child.ts"], {
        DATABASE_URL: db.url,
        CSV_URL: server.url,
      });
      const report = JSON.parse(stdout.trim().split("\n").pop()!) as PullReport;
      const s = report.summary;
      if (s.status !== "SUCCESS" || s.created !== n) {
        throw new Error(
          `the pull ended ${s.status} with ${s.created} of ${n} rows created (${JSON.stringify(s)})`,
        );
      }

      ctx.log(`${SHEET_PULL}: baseline, COPY of the same ${num(n)} rows into a table like sheet_data`);
      const source = db.open({ max: 1 });
      const dump = await dumpRows(source.sql, "sheet_data", COPY_COLUMNS).finally(() => source.close());
      const copyMs = await withBenchDatabase(ctx.serverUrl, `${ctx.runId}_sheetcopy`, async (target) => {
        const conn = target.open({ max: 1, applicationName: "cs-bench-copy" });
        try {
          await settle(ctx.serverUrl);
          return await copyInto(conn.sql, "sheet_data", "sheet_copy", dump);
        } finally {
          await conn.close();
        }
      });

      const pullRate = n / (report.ms / 1000);
      const copyRate = n / (copyMs / 1000);
      const rssMB = report.peakRssKiB === null ? null : report.peakRssKiB * 1024 / 1e6;
      const cpuPer10k = report.cpuMs / n * 10_000;
      return {
        name: SHEET_PULL,
        checks: [
          ratioCheck(
            SHEET_PULL,
            rate(pullRate, "row"),
            `COPY ${rate(copyRate, "row")}`,
            pullRate / copyRate,
            {
              atLeast: 0.3,
            },
          ),
          absoluteCheck(
            SHEET_PULL,
            rssMB === null ? "peak RSS unknown (no /proc)" : `peak RSS ${num(rssMB)} MB`,
            "< 200 MB",
            rssMB === null ? null : rssMB < 200,
          ),
          absoluteCheck(SHEET_PULL, `CPU ${ms(cpuPer10k)} per 10k rows`, "info: Edge 2 s CPU/request", null),
        ],
        measurements: {
          rows: n,
          csvBytes: csv.length,
          pull: {
            ms: report.ms,
            rowsPerSecond: pullRate,
            cpuMs: report.cpuMs,
            cpuMsPer10kRows: cpuPer10k,
            peakRssKiB: report.peakRssKiB,
            summary: s,
          },
          copy: { rows: n, ms: copyMs, rowsPerSecond: copyRate, bytes: dump.bytes, columns: COPY_COLUMNS },
        },
        notes: [
          `sheet pull (3): pullSheetSource (one full SyncRun, read to the end, no time budget) of a ${
            num(n)
          }-row CSV ` +
          `served by a local HTTP server, in its own Deno process; time and CPU (user + system, node:process ` +
          `cpuUsage) from the call to its return; peak RSS is the process's VmHWM. COPY: the rows the pull ` +
          `stored (${
            COPY_COLUMNS.join(", ")
          }) dumped untimed and loaded with COPY FROM STDIN into sheet_copy ` +
          `(like sheet_data including all) in a fresh database.`,
        ],
      };
    });
  } finally {
    await server.close();
  }
}

/** Serves `body` as text/csv on a free loopback port, in 64 KiB pieces as a web server would stream it. */
function serveCsv(body: Uint8Array): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= body.length) return controller.close();
        controller.enqueue(body.subarray(offset, offset + 65_536));
        offset += 65_536;
      },
    });
    return new Response(stream, { headers: { "content-type": "text/csv; charset=utf-8" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/sales.csv`, close: () => server.shutdown() };
}
