import { defineConfig } from "vitest/config";

// Unit tests beside their modules need no database and run in parallel. Integration tests share
// one embedded PGlite server when TEST_DATABASE_URL is unset, so those files take turns; on a real
// server each file gets its own database and they run in parallel too.
const embedded = !process.env.TEST_DATABASE_URL;

export default defineConfig({
  test: {
    globalSetup: ["tests/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["shared/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/soak/**"],
          fileParallelism: !embedded,
        },
      },
    ],
  },
});
