/**
 * The puller of scenario 3, in its own process so its memory and CPU are its own: registers the
 * CSV URL as a sheet source, pulls it to the end with `pullSheetSource` (what `sheets:pull` and the
 * `sheets-pull` function run), and prints one JSON line: the summary, the wall time and CPU time
 * of the pull, and the process's peak resident memory.
 *
 *   DATABASE_URL=… CSV_URL=http://… deno run -A bench/sheet-pull-child.ts
 */
import process from "node:process";
import { createDb } from "../shared/db/client.ts";
import { saveSheetSource } from "../shared/sources/sheets/sheet-sources.ts";
import { pullSheetSource } from "../shared/sources/sheets/pull.ts";
import { tabularKinds } from "../shared/sources/registry.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");
const csvUrl = Deno.env.get("CSV_URL");
if (!databaseUrl || !csvUrl) {
  console.error("sheet-pull-child: DATABASE_URL and CSV_URL must be set");
  Deno.exit(2);
}
// The pool size the functions use (shared/db/runtime.ts).
const db = createDb(databaseUrl, { max: 4, applicationName: "cs-bench-sheet-pull" });
try {
  const { source } = await saveSheetSource(db.kysely, { name: "bench-sheet", url: csvUrl, kind: "SHEET" });
  const rssBefore = peakRssKiB();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const summary = await pullSheetSource(db.kysely, source, { kinds: tabularKinds() });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    summary,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    peakRssKiB: peakRssKiB(),
    peakRssBeforePullKiB: rssBefore,
  }));
} finally {
  await db.close();
}

/** VmHWM of /proc/self/status: the most resident memory this process has held. */
function peakRssKiB(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
