#!/usr/bin/env node
// `npm run check`: format check, lint and type check of everything Deno runs.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const deno = require.resolve("deno/bin.cjs");
const targets = ["functions", "shared", "scripts", "bench"];
const steps = [
  ["fmt", "--check", ...targets],
  ["lint", ...targets],
  ["check", ...targets],
  // The function entries and supabase/config.toml are generated from the source registry.
  ["run", "-A", "scripts/functions.ts", "--check"],
  // The supabase-js Database types are generated from the migrations (on an in-memory PGlite).
  ["run", "-A", "scripts/supabase-types.ts", "--check"],
];
for (const args of steps) {
  console.log(`deno ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [deno, ...args], {
    stdio: "inherit",
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
  });
  if (r.status !== 0) {
    console.error(`npm run check: deno ${args[0]} failed`);
    process.exit(r.status ?? 1);
  }
}
