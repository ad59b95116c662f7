/**
 * Scheduling: the migration's SQL functions (guarded from Supabase's public roles), `sheets-pull`
 * in the real Deno runtime, and — on a real server with pg_cron — a cron job whose stored command,
 * run in the app's database, calls the function (through curl here; pg_net on Supabase) and pulls
 * the due sheet.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import postgres from "postgres";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase, withDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { addSource, liveRows } from "./helpers.ts";

const CRON_SECRET = "cron-secret-for-the-schedule-test";
const JOB = `customer-sync-sheets-pull-test-${process.pid}`;
const HEADER = ["Date", "Name", "Email", "Amount"];
const SHEET = toCsv([HEADER, ["3/4/2024", "Ann", "ann@example.com", "$10.00"], [
  "3/5/2024",
  "Bob",
  "bob@example.com",
  "$20.50",
]]);

/** Why the pg_cron test cannot run here, or null when it can. */
async function pgCronUnavailable(): Promise<string | null> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return "TEST_DATABASE_URL is not set (embedded PGlite has no pg_cron)";
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ libs }] = await admin<
      { libs: string }[]
    >`select current_setting('shared_preload_libraries') as libs`;
    if (!/\bpg_cron\b/.test(libs)) return "pg_cron is not in the server's shared_preload_libraries";
    const [{ db }] = await admin<
      { db: string | null }[]
    >`select current_setting('cron.database_name', true) as db`;
    const cron = postgres(withDatabase(url, db ?? "postgres"), { max: 1, onnotice: () => {} });
    try {
      const [{ installed }] = await cron<{ installed: boolean }[]>`
        select exists (select 1 from pg_extension where extname = 'pg_cron') as installed`;
      return installed ? null : `pg_cron is not installed in its database ${db}`;
    } finally {
      await cron.end();
    }
  } finally {
    await admin.end();
  }
}
const noPgCron = await pgCronUnavailable();

/** Calls customer_sync_invoke('sheets-pull') with LOG messages sent here: its result and those messages. */
async function invokeLogged(url: string): Promise<{ result: unknown; logs: string[] }> {
  const logs: string[] = [];
  const conn = postgres(url, { max: 1, onnotice: (n) => logs.push(n.message) });
  try {
    await conn`set client_min_messages = log`;
    const [{ result }] = await conn`select customer_sync_invoke('sheets-pull', '{}') as result`;
    return { result, logs };
  } finally {
    await conn.end();
  }
}

let t: TestDatabase;
let csv: CsvServer;
let server: DenoServer;

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
  server = await startDenoServer({ DATABASE_URL: t.url, CRON_SECRET, SHEETS_PULL_BUDGET_MS: "5000" });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await csv?.close();
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, sheet_data, sheet_sources, sync_logs, sync_run_keys, sync_checkpoints, customer_sync_settings cascade`
    .execute(t.kysely);
});

describe("the schedule migration", () => {
  it("lets neither anon nor authenticated nor public call the scheduling functions", async () => {
    const functions = [
      "customer_sync_invoke(text,jsonb)",
      "customer_sync_setting(text)",
      "customer_sync_schedule_sheets(text)",
      "customer_sync_unschedule_sheets()",
      "customer_sync_sheets_pull_command()",
    ];
    for (const fn of functions) {
      const rows = await t.sql<{ anon: boolean; authenticated: boolean; owner: boolean }[]>`
        select has_function_privilege('anon', ${fn}, 'EXECUTE') as anon,
               has_function_privilege('authenticated', ${fn}, 'EXECUTE') as authenticated,
               has_function_privilege(current_user, ${fn}, 'EXECUTE') as owner`;
      expect(rows[0], fn).toEqual({ anon: false, authenticated: false, owner: true });
    }
    const read = await t.sql.begin(async (tx) => {
      await tx.unsafe("set local role anon");
      return await tx.unsafe("select * from customer_sync_settings");
    }).then(() => "read", (e) => e.code);
    expect(read).toBe("42501");
  });

  it("does nothing but log one line until the project URL and the cron secret are stored", async () => {
    const neither = await invokeLogged(t.url);
    expect(neither.result).toBeNull();
    expect(neither.logs).toEqual([
      expect.stringMatching(
        /^customer_sync_invoke: sheets-pull not called: the project_url and cron_secret secrets are not set \(Vault on Supabase, customer_sync_settings locally/,
      ),
    ]);
    await t.sql`insert into customer_sync_settings (name, value) values ('project_url', 'http://x')`;
    expect((await t.sql`select customer_sync_setting('project_url') as v`)[0].v).toBe("http://x");
    const noSecret = await invokeLogged(t.url);
    expect(noSecret.result).toBeNull();
    expect(noSecret.logs).toEqual([expect.stringMatching(/: the cron_secret secret is not set/)]);
  });

  it("explains where to schedule from when pg_cron is not in this database", async () => {
    await expect(t.sql`select customer_sync_schedule_sheets('*/15 * * * *')`).rejects.toThrow(
      /pg_cron is not installed in database .*cron\.schedule_in_database/,
    );
    expect((await t.sql`select customer_sync_unschedule_sheets() as done`)[0].done).toBe(false);
  });
});

describe("sheets-pull in the Deno runtime", () => {
  it("pulls a named source behind the cron secret", async () => {
    csv.set("deno", { kind: "csv", csv: SHEET });
    const s = await addSource(t.kysely, { name: "deno", url: csv.exportUrl("deno") });
    const refused = await fetch(`${server.base}/sheets-pull`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    const res = await fetch(`${server.base}/sheets-pull`, {
      method: "POST",
      headers: { authorization: `Bearer ${CRON_SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ source: "deno" }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).sources).toMatchObject([{
      source: "deno",
      status: "SUCCESS",
      created: 2,
      done: true,
    }]);
    expect((await liveRows(t.kysely, "sheet_data", s.url)).map((r) => r.amount).sort()).toEqual([
      "10.00",
      "20.50",
    ]);
  });
});

/** Why the curl fallback cannot be watched here, or null when it can. */
async function curlFallbackUnwatchable(): Promise<string | null> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return "TEST_DATABASE_URL is not set (embedded PGlite cannot run programs)";
  if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname)) {
    return "the server is not on this machine, so its curl is not in this /proc";
  }
  if (!existsSync("/proc/self/cmdline")) return "no /proc here";
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ superuser }] = await admin<{ superuser: boolean }[]>`
      select rolsuper as superuser from pg_roles where rolname = current_user`;
    return superuser ? null : "the test role is not a superuser (COPY TO PROGRAM)";
  } finally {
    await admin.end();
  }
}
const noCurlWatch = await curlFallbackUnwatchable();

/** The command lines of this machine's processes that this user can read, keyed by pid. */
function commandLines(): Map<string, string> {
  const lines = new Map<string, string>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      lines.set(pid, readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " "));
    } catch {
      // The process ended meanwhile.
    }
  }
  return lines;
}

describe.skipIf(noCurlWatch !== null)(
  `the curl fallback on the real server${noCurlWatch ? ` (skipped: ${noCurlWatch})` : ""}`,
  () => {
    it("sends the cron secret as the Authorization header without putting it on any command line", async () => {
      const secret = `cron-secret-${Math.random().toString(36).slice(2)}-"quoted"`;
      const path = `/argv-check-${process.pid}`;
      const seen: { authorization?: string; body: string; curl: string[]; leaking: string[] }[] = [];
      // While curl waits for this answer, every process's command line is read.
      const http = createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
          const lines = [...commandLines().values()];
          seen.push({
            authorization: req.headers.authorization,
            body,
            curl: lines.filter((l) => l.startsWith("curl ") && l.includes(path)),
            leaking: lines.filter((l) => l.includes(secret)),
          });
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
      });
      await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
      try {
        const { port } = http.address() as AddressInfo;
        await t.sql`insert into customer_sync_settings (name, value)
                    values ('project_url', ${`http://127.0.0.1:${port}${path}`}), ('cron_secret', ${secret})`;
        const [{ pgNet }] = await t.sql<{ pgNet: boolean }[]>`
          select exists (select 1 from pg_extension where extname = 'pg_net') as "pgNet"`;
        expect(pgNet, "this database calls through pg_net, not curl").toBe(false);
        await t.sql`select customer_sync_invoke('sheets-pull', '{"from": "test"}'::jsonb)`;
        expect(seen).toHaveLength(1);
        expect(seen[0].authorization).toBe(`Bearer ${secret}`);
        expect(JSON.parse(seen[0].body)).toEqual({ from: "test" });
        // curl was found while it ran, so the scan below it was not vacuous.
        expect(seen[0].curl).toHaveLength(1);
        expect(seen[0].leaking).toEqual([]);
        const [{ command }] = await t.sql<{ command: string }[]>`
          select customer_sync_curl_command(${`http://127.0.0.1:${port}${path}`}, '{}') as command`;
        expect(command).toContain("--header @-");
        expect(command).not.toContain(secret);
      } finally {
        await new Promise((r) => http.close(r));
      }
    });
  },
);

describe.skipIf(noPgCron !== null)(
  `pg_cron on the real server${noPgCron ? ` (skipped: ${noPgCron})` : ""}`,
  () => {
    it(
      "schedules the pull, and the job's stored command pulls the due sheet through the function",
      async () => {
        csv.set("cron", { kind: "csv", csv: SHEET });
        const s = await addSource(t.kysely, {
          name: "cron",
          url: csv.exportUrl("cron"),
          schedule: "0 * * * *",
        });
        const projectUrl = server.base.replace(/\/functions\/v1$/, "");
        await t.sql`insert into customer_sync_settings (name, value)
                values ('project_url', ${projectUrl}), ('cron_secret', ${CRON_SECRET})`;
        const [{ command }] = await t.sql<
          { command: string }[]
        >`select customer_sync_sheets_pull_command() as command`;
        const database = new URL(t.url).pathname.slice(1);

        const [{ cronDb }] = await t.sql<
          { cronDb: string }[]
        >`select current_setting('cron.database_name') as "cronDb"`;
        const cron = postgres(withDatabase(process.env.TEST_DATABASE_URL!, cronDb), {
          max: 1,
          onnotice: () => {},
        });
        try {
          // Inactive, so the scheduler itself never races the test; the test runs the stored command.
          await cron`select cron.schedule_in_database(${JOB}, '* * * * *', ${command}, ${database}, null, false)`;
          const [job] = await cron<{ command: string; database: string; schedule: string }[]>`
        select command, database, schedule from cron.job where jobname = ${JOB}`;
          expect(job).toEqual({ command, database, schedule: "* * * * *" });

          await t.sql.unsafe(job.command);
          const rows = await liveRows(t.kysely, "sheet_data", s.url);
          expect(rows.map((r) => r.email).sort()).toEqual(["ann@example.com", "bob@example.com"]);
          const logs = await t.kysely.selectFrom("sync_logs").select(["status", "scope"]).execute();
          expect(logs).toEqual([{ status: "SUCCESS", scope: s.url }]);

          // The next tick finds nothing due (the source's schedule has not fired since), so pulls nothing.
          await t.sql.unsafe(job.command);
          expect(await t.kysely.selectFrom("sync_logs").select("id").execute()).toHaveLength(1);

          // A wrong secret makes the job's run fail, without the secret in the error.
          await t.sql`update customer_sync_settings set value = 'wrong-secret' where name = 'cron_secret'`;
          const error = await t.sql.unsafe(job.command).then(
            () => null,
            (e) => e as Error & { where?: string },
          );
          expect(error?.message).toMatch(/failed/);
          expect(`${error?.message} ${error?.where ?? ""}`).not.toContain("wrong-secret");
        } finally {
          await cron`select cron.unschedule(${JOB})`.catch(() => {});
          await cron.end();
        }
      },
      30_000,
    );
  },
);
