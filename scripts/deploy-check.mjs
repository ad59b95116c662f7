#!/usr/bin/env node
/**
 * `npm run deploy:check [name…]`: reproduces what `supabase functions deploy` hands Supabase, then
 * type-checks and starts each function from that alone. For every function in
 * `supabase/config.toml` (or only those named): its entrypoint's local module graph and its import
 * map are copied into an empty folder, keeping their relative paths; then, with an empty DENO_DIR
 * and no `node_modules` or `package.json` anywhere above that folder, `deno check` runs on the
 * entrypoint and `deno run --allow-net --allow-env` starts it. A POST without credentials must get
 * an HTTP answer (a 5xx only as the project's JSON error, never a crash page) from a process that
 * is still running afterwards. npm packages come from the npm registry, as on Supabase.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ancestors, functionsFromConfig, uploadFiles } from "./deploy-files.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
// The binary itself, not deno/bin.cjs, so that stopping a function stops the server.
const deno = join(dirname(require.resolve("deno/bin.cjs")), "deno");
const CHECK_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;

// Listens on a free loopback port instead of 8000 and says which; the function's code is as uploaded.
const LISTEN_HARNESS = `const serve = Deno.serve;
Deno.serve = (...args) => {
  const last = args[args.length - 1];
  const handler = typeof last === "function" ? last : last.handler;
  return serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log("deploy-check: port " + port) }, handler);
};
`;

// What Supabase gives every function, with values that reach nothing: the database URL points at a
// closed port, so a function that touched the database for an unauthenticated call would show it.
const FUNCTION_ENV = {
  SUPABASE_URL: "http://127.0.0.1:9",
  SUPABASE_DB_URL: "postgres://postgres:postgres@127.0.0.1:9/postgres",
  SUPABASE_ANON_KEY: "deploy-check-anon-key",
  SUPABASE_SERVICE_ROLE_KEY: "deploy-check-service-role-key",
  WHOP_WEBHOOK_SECRET: "ws_deploy_check_secret",
  CRON_SECRET: "deploy-check-cron-secret",
  GHL_WORKFLOW_SECRET: "deploy-check-workflow-secret",
  ELECTIVE_WEBHOOK_SECRET: "deploy-check-elective-secret",
};

function fail(message) {
  console.error(`deploy:check: ${message}`);
  process.exit(1);
}

/** Copies the upload of `fn` into a new empty folder; returns that folder and the file count. */
function stage(fn, work) {
  const files = uploadFiles(deno, fn, root);
  const dir = join(work, fn.name);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(root, file), join(dir, file));
  }
  return { dir, files };
}

// How this machine reaches the npm registry (proxies, certificate authorities, a registry mirror).
const NETWORK_ENV = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS",
  "NPM_CONFIG_REGISTRY",
];

/** Environment for deno in the staged folder: PATH, HOME, network settings and an empty cache. */
function denoEnv(denoDir, extra = {}) {
  const network = Object.fromEntries(
    NETWORK_ENV.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]]),
  );
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    ...network,
    DENO_DIR: denoDir,
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Starts the staged function, POSTs to it without credentials, stops it; resolves to a summary. */
async function serveOnce(fn, dir, denoDir, harness) {
  const entry = relative(root, fn.entrypoint);
  const config = relative(root, fn.importMap);
  const child = spawn(
    deno,
    ["run", "--allow-net", "--allow-env", "--config", config, "--preload", harness, entry],
    { cwd: dir, env: denoEnv(denoDir, FUNCTION_ENV), stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.on("exit", (code, signal) => r(signal ?? code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }
    await exited;
  };
  try {
    const port = await new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`did not listen in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.stdout.on("data", () => {
        const m = /deploy-check: port (\d+)/.exec(out);
        if (m) (clearTimeout(timer), res(Number(m[1])));
      });
      exited.then((code) => (clearTimeout(timer), rej(new Error(`exited (${code}) before listening`))));
    });
    const res = await fetch(`http://127.0.0.1:${port}/${fn.name}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = await res.text();
    let json = true;
    try {
      JSON.parse(body);
    } catch {
      json = false;
    }
    await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode !== null || child.signalCode !== null) throw new Error("exited after answering");
    if (res.status >= 500 && !json) throw new Error(`answered ${res.status} ${body.slice(0, 200)}`);
    return `POST /${fn.name} without credentials -> ${res.status} ${body.slice(0, 120)}`;
  } catch (error) {
    throw new Error(`${error.message}\n--- output ---\n${out.trim()}`);
  } finally {
    await stop();
  }
}

async function main() {
  const wanted = process.argv.slice(2);
  const all = functionsFromConfig(
    readFileSync(join(root, "supabase/config.toml"), "utf8"),
    join(root, "supabase"),
  );
  const fns = wanted.length ? all.filter((f) => wanted.includes(f.name)) : all;
  const unknown = wanted.filter((w) => !all.some((f) => f.name === w));
  if (unknown.length) fail(`not in supabase/config.toml: ${unknown.join(", ")}`);
  if (fns.length === 0) fail("supabase/config.toml names no function");

  const work = mkdtempSync(join(tmpdir(), "customer-sync-deploy-"));
  // Deno looks upwards for package.json and node_modules; the staged folder must find neither.
  const found = ancestors(work).flatMap((d) =>
    ["node_modules", "package.json"].map((n) => join(d, n)).filter((p) => existsSync(p))
  );
  if (found.length) fail(`${found.join(", ")} above ${work}: set TMPDIR to a clean folder`);
  const harness = join(work, "listen-harness.js");
  writeFileSync(harness, LISTEN_HARNESS);

  let failed = 0;
  try {
    for (const fn of fns) {
      const started = performance.now();
      const secs = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
      try {
        const { dir, files } = stage(fn, work);
        const denoDir = mkdtempSync(join(work, `deno-dir-${fn.name}-`));
        const entry = relative(root, fn.entrypoint);
        const check = spawnSync(deno, ["check", "--config", relative(root, fn.importMap), entry], {
          cwd: dir,
          env: denoEnv(denoDir),
          encoding: "utf8",
          timeout: CHECK_TIMEOUT_MS,
        });
        if (check.status !== 0) {
          // Deno's download progress lines say nothing about the failure.
          const reason = check.stderr.split("\n").filter((l) => !l.startsWith("Download ")).join("\n").trim();
          throw new Error(`deno check failed (${check.status ?? check.signal}):\n${reason}`);
        }
        if (existsSync(join(dir, "node_modules"))) throw new Error("deno created node_modules in the upload");
        const served = await serveOnce(fn, dir, denoDir, harness);
        console.log(
          `ok   ${fn.name}: ${files.length} files uploaded, deno check passed; ${served} (${secs()})`,
        );
      } catch (error) {
        failed++;
        console.error(`FAIL ${fn.name}: ${error.message} (${secs()})`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (failed) fail(`${failed} of ${fns.length} functions would not deploy as uploaded`);
  console.log(`deploy:check: ${fns.length} functions check and start from their uploads alone`);
}

await main();
