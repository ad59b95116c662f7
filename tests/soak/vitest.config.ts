import { defineConfig } from "vitest/config";

/**
 * `npm run test:soak`: the long versions of tests/reliability (not in CI, not in `npm test`).
 * The reliability files run again at full size — 5,000 webhooks from 64 senders on either
 * database, 10,000 runs per property — plus the soak-only files here: repeated outages until every
 * connection settles, and a SIGKILL in a 20,000-row sheet pull. Like `npm test`, it runs on
 * embedded PGlite, or on a server with TEST_DATABASE_URL.
 */
export default defineConfig({
  root: new URL("../..", import.meta.url).pathname,
  test: {
    globalSetup: ["tests/global-setup.ts"],
    include: ["tests/reliability/**/*.test.ts", "tests/soak/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
    env: {
      RELIABILITY_LOAD_EVENTS: "5000",
      RELIABILITY_PROPERTY_RUNS: "10000",
      RELIABILITY_SHEET_ROWS: "20000",
    },
  },
});
