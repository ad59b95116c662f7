/**
 * With TEST_DATABASE_URL, migrates a template database once; each test file clones it.
 */
import postgres from "postgres";
import { migrate } from "../shared/db/migrate.ts";
import { TEMPLATE_DB, withDatabase } from "./helpers/database.ts";

export async function setup(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'cs_test_%'`;
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
