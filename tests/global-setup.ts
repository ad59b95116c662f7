/**
 * Test databases. With TEST_DATABASE_URL, migrates a template database once and each test file
 * clones it (files run in parallel). Without it, starts one embedded PGlite server for the whole
 * run — creating a PGlite instance costs seconds of WASM start-up on a loaded machine — and test
 * files take turns on it, each starting from empty tables.
 */
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { migrate } from "../shared/db/migrate.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../shared/db/embedded.ts";
import { TEMPLATE_DB, TEST_DB_PREFIX, withDatabase } from "./helpers/database.ts";

let embedded: EmbeddedPostgres | null = null;

declare module "vitest" {
  export interface ProvidedContext {
    pgliteUrl: string | null;
  }
}

export async function setup(project: TestProject): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres();
    const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
    try {
      await migrate(sql, "migrations");
    } finally {
      await sql.end();
    }
    project.provide("pgliteUrl", embedded.url);
    return;
  }
  project.provide("pgliteUrl", null);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const stale = await admin<{ datname: string }[]>`
      select datname from pg_database where starts_with(datname, ${TEST_DB_PREFIX})`;
    for (const { datname } of stale) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  const template = postgres(withDatabase(serverUrl, TEMPLATE_DB), { max: 1, onnotice: () => {} });
  try {
    await migrate(template, "migrations");
  } finally {
    await template.end();
  }
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
}
