/**
 * `npm start`: migrations, then every edge function on http://127.0.0.1:54321/functions/v1/<name>
 * under Deno, on the configured database or the embedded PGlite. Ctrl-C stops cleanly.
 *
 * By default each function runs as on Supabase (the Edge profile, `scripts/edge/`): its own Deno
 * process with only net and env permissions, a 256 MB heap and 2 s of CPU per request.
 * `npm start -- --all-in-one` (or `EDGE_PROFILE=off`) serves them all in this process instead.
 */
import { openDatabase } from "../shared/db/open.ts";
import { migrate, MigrationError } from "../shared/db/migrate.ts";
import { describeDatabaseError } from "../shared/db/client.ts";
import { loadFunctionApps, localRouter } from "../shared/http/local-router.ts";
import { closeRuntimeDb, runtimeDb } from "../shared/db/runtime.ts";
import { pullSheets } from "../shared/sources/sheets/pull-due.ts";
import { tabularKinds } from "../shared/sources/registry.ts";
import { exampleRequests } from "./example-requests.ts";
import { drainEvents } from "../shared/webhooks/drain.ts";
import { webhookSources } from "../shared/sources/registry.ts";
import { startEdgeFunctions } from "./edge/edge-functions.ts";
import { SUPABASE_CPU_LIMIT_MS, SUPABASE_MEMORY_MB } from "./edge/protocol.ts";

const started = performance.now();
const port = Number(Deno.env.get("PORT") ?? 54321);
const allInOne = Deno.args.includes("--all-in-one") || Deno.env.get("EDGE_PROFILE") === "off";

let database;
try {
  database = await openDatabase({ max: 2 });
  const { applied, alreadyApplied } = await migrate(
    database.sql,
    new URL("../migrations", import.meta.url).pathname,
  );
  console.log(
    `database: ${
      database.mode === "server"
        ? "server from DATABASE_URL"
        : `embedded PGlite (${Deno.env.get("PGLITE_DATA_DIR") ?? ".data/pglite"})`
    }; ` +
      `migrations: ${applied.length} applied, ${alreadyApplied} already there`,
  );
} catch (error) {
  console.error(
    `npm start: ${error instanceof MigrationError ? error.message : describeDatabaseError(error)}`,
  );
  await database?.close().catch(() => {});
  Deno.exit(1);
}
// The functions read their database from the environment, as on Supabase.
Deno.env.set("DATABASE_URL", database.url);
if (!Deno.env.get("WHOP_WEBHOOK_SECRET")) Deno.env.set("WHOP_WEBHOOK_SECRET", "ws_local_development_secret");
if (!Deno.env.get("CRON_SECRET")) Deno.env.set("CRON_SECRET", "local-cron-secret");

const functionsDir = new URL("../functions/", import.meta.url);
let edge: Awaited<ReturnType<typeof startEdgeFunctions>> | null = null;
try {
  edge = allInOne ? null : await startEdgeFunctions(functionsDir);
} catch (error) {
  console.error(`npm start: ${error instanceof Error ? error.message : error}`);
  await database.close().catch(() => {});
  Deno.exit(1);
}
const apps = edge ?? await loadFunctionApps(functionsDir);
const controller = new AbortController();
const server = Deno.serve(
  { hostname: "127.0.0.1", port, signal: controller.signal, onListen: () => {} },
  localRouter(apps),
);
const base = `http://127.0.0.1:${server.addr.port}/functions/v1`;
console.log(
  allInOne
    ? "profile: all-in-one (every function in this process, all permissions, no memory or CPU limit)"
    : `profile: Edge (each function in its own Deno process: --allow-net --allow-env only, ` +
      `V8 heap ${SUPABASE_MEMORY_MB} MB, ${SUPABASE_CPU_LIMIT_MS} ms CPU per request; --all-in-one to turn off)`,
);
console.log(`serving ${apps.size} functions in ${Math.round(performance.now() - started)} ms:`);
for (const name of apps.keys()) console.log(`  ${base}/${name}`);
console.log(`\nTry a signed Whop delivery:\n${await exampleRequests(base)}\n\nCtrl-C stops.`);

// Without pg_cron (the embedded database) this process runs the sheet schedules itself: every
// minute it pulls the sources whose `schedule` has come due, exactly as the cron tick would.
const scheduler = database.mode !== "server" || Deno.env.get("SHEETS_SCHEDULER") === "1"
  ? setInterval(() => {
    pullSheets(runtimeDb(), { kinds: tabularKinds(), dueOnly: true }).then(
      (pulled) => {
        for (const p of pulled) {
          console.log(`sheets: ${p.source} ${p.status} (+${p.created} ~${p.updated} -${p.deleted})`);
        }
      },
      (error) => console.error(`sheets: scheduled pull failed: ${describeDatabaseError(error)}`),
    );
  }, 60_000)
  : null;

// Webhook deliveries stored but never processed (the last run stopped between answering and
// processing) are drained now and every minute, as the `webhook-drain` cron job does on Supabase.
{
  const drainLeftovers = () =>
    drainEvents(runtimeDb(), webhookSources()).then(
      (t) => {
        if (t.batches === 0) return;
        console.log(`webhooks: drained ${t.processed} processed, ${t.ignored} ignored, ${t.failed} failed`);
      },
      (error) => console.error(`webhooks: drain failed: ${describeDatabaseError(error)}`),
    );
  drainLeftovers();
  Deno.unrefTimer(setInterval(drainLeftovers, 60_000));
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  if (scheduler !== null) clearInterval(scheduler);
  controller.abort();
  // In-flight requests get a few seconds; a client holding a connection open must not keep us up.
  await Promise.race([server.finished.catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  await Promise.all([...(edge?.values() ?? [])].map((f) => f.stop()));
  await closeRuntimeDb();
  await database!.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
