/**
 * `npm run bench [-- --quick] [-- --only 1,2]`: every scenario's figures beside baselines measured
 * in the same run on the same server, as one table, plus `bench/results.json`.
 *
 * A scenario that misses its target prints MISS; that is a finding, not a failure. The run exits
 * non-zero only when a scenario could not run or a webhook delivery answered 2xx went missing.
 */
import { parseArgs } from "node:util";
import { type BenchContext, FULL_SIZES, QUICK_SIZES } from "./context.ts";
import { dropAllBenchDatabases } from "./bench-database.ts";
import { stopAllServers } from "./child-process.ts";
import { describeMachine, machineLine } from "./machine.ts";
import { type Check, formatMarkdown, formatTable, type ScenarioResult } from "./report.ts";
import { engineIngest, INGEST, type IngestState } from "./engine-ingest.ts";
import { engineResync, RESYNC } from "./engine-resync.ts";
import { SHEET_PULL, sheetPull } from "./sheet-pull.ts";
import { WEBHOOK, webhookIngest } from "./webhook-ingest.ts";
import { REVENUE, revenueViews } from "./revenue-views.ts";

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";

let values: { quick?: boolean; only?: string };
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: { quick: { type: "boolean", default: false }, only: { type: "string" } },
  }));
} catch (error) {
  console.error(
    `npm run bench: ${(error as Error).message}\nusage: npm run bench [-- --quick] [-- --only 1,3,5]`,
  );
  Deno.exit(2);
}
const quick = values.quick!;
const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : null;
const wanted = (n: number) => !only || only.has(String(n));

const configured = Deno.env.get("DATABASE_URL");
const serverUrl = configured || DEFAULT_URL;
const ctx: BenchContext = {
  serverUrl,
  quick,
  sizes: quick ? QUICK_SIZES : FULL_SIZES,
  runId: String(Deno.pid),
  log: (message) => console.log(`  … ${message}`),
};

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    console.error(`\n${signal}: stopping the servers and dropping the benchmark databases`);
    await stopAllServers();
    await dropAllBenchDatabases();
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  });
}

const started = performance.now();
const machine = await describeMachine(serverUrl).catch((error) => {
  console.error(`npm run bench: cannot reach ${redact(serverUrl)}: ${(error as Error).message}`);
  Deno.exit(1);
});
console.log(`customer-sync benchmarks${quick ? " (--quick: small sizes, a smoke run)" : ""}`);
console.log(`machine: ${machineLine(machine)}`);
console.log(
  `database: ${redact(serverUrl)}${
    configured ? " (DATABASE_URL)" : " (DATABASE_URL unset: the default local server)"
  }`,
);
console.log("");

const results: ScenarioResult[] = [];
const failures: string[] = [];

async function run(name: string, scenario: () => Promise<ScenarioResult | ScenarioResult[]>): Promise<void> {
  const t0 = performance.now();
  console.log(`${name}`);
  try {
    const out = await scenario();
    for (const r of Array.isArray(out) ? out : [out]) results.push(r);
    console.log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    const message = (error as Error).message?.split("\n")[0] ?? String(error);
    failures.push(`${name}: ${message}`);
    console.log(`  FAILED: ${message}`);
    if (Deno.env.get("BENCH_DEBUG")) console.error(error);
  }
}

let ingest: IngestState | null = null;
if (wanted(1) || wanted(2)) {
  await run(INGEST, async () => {
    const { result, state } = await engineIngest(ctx);
    ingest = state;
    return result;
  });
  if (ingest) {
    const state: IngestState = ingest;
    await run(RESYNC, () => engineResync(ctx, state));
    await state.db.drop();
  }
}
if (wanted(3)) await run(SHEET_PULL, () => sheetPull(ctx));
if (wanted(4)) await run(WEBHOOK, () => webhookIngest(ctx));
if (wanted(5)) await run(REVENUE, () => revenueViews(ctx));
await dropAllBenchDatabases();

const checks: Check[] = results.flatMap((r) => r.checks);
console.log("");
console.log(formatTable(checks));
const notes = results.flatMap((r) => r.notes);
if (notes.length) {
  console.log("\nnotes:");
  for (const note of notes) console.log(`  - ${note}`);
}
if (failures.length) {
  console.log("\nscenarios that could not run:");
  for (const f of failures) console.log(`  - ${f}`);
}
const lost = results.reduce((sum, r) => sum + (Number((r.measurements as { lost?: number }).lost) || 0), 0);
const seconds = (performance.now() - started) / 1000;
console.log(
  `\n${checks.filter((c) => c.ok === false).length} MISS, ${failures.length} failed; ${seconds.toFixed(0)} s`,
);

const file = new URL("./results.json", import.meta.url);
await Deno.writeTextFile(
  file,
  JSON.stringify(
    {
      quick,
      machine,
      database: configured ? "DATABASE_URL" : `default ${DEFAULT_URL}`,
      seconds,
      sizes: ctx.sizes,
      checks,
      markdown: formatMarkdown(checks),
      scenarios: results,
      failures,
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote ${file.pathname}`);
if (lost > 0) console.log(`${lost} webhook deliveries answered 2xx are missing from the database`);
Deno.exit(failures.length > 0 || lost > 0 ? 1 : 0);

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
