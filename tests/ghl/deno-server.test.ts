import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { untilProcessed } from "../helpers/outcome.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";
import { type GhlApiDouble, makeContacts, startGhlApiDouble } from "../helpers/ghl-api-double.ts";
import {
  createGhlTestSigner,
  type GhlTestSigner,
} from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";

// Everything here runs under the real Deno runtime: the served functions and the CLI.
const LOCATION = "locCli01";
const TOKEN = "pit-cli-token";
const require = createRequire(import.meta.url);
let t: TestDatabase;
let server: DenoServer;
let signer: GhlTestSigner;
let double: GhlApiDouble;

beforeAll(async () => {
  t = await openTestDatabase();
  signer = await createGhlTestSigner();
  double = await startGhlApiDouble({
    token: TOKEN,
    locationId: LOCATION,
    contacts: makeContacts(150, LOCATION),
  });
  server = await startDenoServer({
    DATABASE_URL: t.url,
    GHL_ED25519_PUBLIC_KEY: signer.pems.ed25519Pem,
    GHL_RSA_PUBLIC_KEY: signer.pems.rsaPem,
  });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await double?.close();
  await t?.close();
});

describe("ghl-webhook in the real Deno runtime", () => {
  it("verifies an Ed25519-signed delivery with the keys from the environment and upserts the contact", async () => {
    const body = readFileSync("tests/fixtures/ghl/ContactCreate.json", "utf8")
      .replace(/"timestamp": "[^"]*"/, `"timestamp": "${new Date().toISOString()}"`);
    const res = await fetch(`${server.base}/ghl-webhook`, {
      method: "POST",
      headers: await signer.headers(body, { ed25519: true }),
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "stored", id: "wh_create_6794e9a8c1f0" });
    await untilProcessed(t.kysely);
    const rows = await t.kysely.selectFrom("ghl_data").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      external_contact_id: "nmFmQEsNgz6AVpgLVUJ0",
      location_id: "ve9EPM428h8vShlRW1KT",
    });
    expect(rows[0].raw_data).toEqual(JSON.parse(body));
  });

  it("refuses an unsigned delivery with 401", async () => {
    const res = await fetch(`${server.base}/ghl-webhook`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });
});

/** `npm run cli -- ghl:backfill ...` against the test database and the double. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [
    require.resolve("deno/bin.cjs"),
    "run",
    "-A",
    "shared/cli/main.ts",
    "ghl:backfill",
    ...args,
  ], {
    env: {
      ...process.env,
      DENO_NO_UPDATE_CHECK: "1",
      DATABASE_URL: t.url,
      GHL_API_TOKEN: TOKEN,
      GHL_API_BASE: double.url,
      GHL_LOCATION_ID: LOCATION,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("npm run cli -- ghl:backfill", () => {
  it(
    "exits non-zero with one line when HighLevel fails mid-way, then resumes from the checkpoint",
    async () => {
      double.failAfter(1, 401);
      const failed = await cli("--full");
      expect(failed.code).toBe(1);
      expect(failed.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(
          /^ghl:backfill: HighLevel GET \/contacts\/ answered 401: Invalid JWT; stopped after page 1 \(100 contacts\)/,
        ),
      ]);
      expect(failed.stdout).toContain("page 1: 100 of 150 contacts read");

      const resumed = await cli();
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/resuming full run [0-9a-f-]+ after page 1/);
      expect(resumed.stdout).toMatch(/SUCCESS: 150 created, 0 updated, 0 unchanged, 0 deleted, 0 failed/);
      expect(double.requests.filter((r) => r.status === 200).map((r) => r.startAfterId)).toEqual([
        null,
        "c99",
      ]);
      const rows = await t.kysely.selectFrom("ghl_data").select("id").where("location_id", "=", LOCATION)
        .execute();
      expect(rows).toHaveLength(150);
    },
    60_000,
  );
});
