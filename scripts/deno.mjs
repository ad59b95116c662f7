#!/usr/bin/env node
// Runs the project's pinned Deno (from the `deno` npm package) with the update check off, which
// otherwise stalls each start on a closed network. Forwards signals so Ctrl-C stops cleanly.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let bin;
try {
  bin = require.resolve("deno/bin.cjs");
} catch {
  console.error("deno is not installed: run `npm install` first");
  process.exit(1);
}
const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 1 : 1)));
