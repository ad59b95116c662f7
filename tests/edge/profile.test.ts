/**
 * The Edge profile (`npm start`'s default): each function in its own process with Supabase's
 * permissions and limits, so a function that would break them on Supabase breaks here too.
 * The functions here are test doubles in tests/fixtures/edge/functions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DenoServer, startDenoServer } from "../helpers/deno-server.ts";

let server: DenoServer;

beforeAll(async () => {
  server = await startDenoServer({}, 60_000, "tests/fixtures/edge/serve.ts");
}, 90_000);
afterAll(async () => {
  await server?.stop();
});

const call = (name: string, body: unknown = {}) =>
  fetch(`${server.base}/${name}`, { method: "POST", body: JSON.stringify(body) });

describe("the Edge profile", () => {
  it("gives a function only network and environment access and a 256 MB heap", async () => {
    const res = await call("probe");
    expect(res.status).toBe(200);
    const answer = await res.json();
    expect(answer).toMatchObject({
      read: "denied",
      write: "denied",
      run: "denied",
      sys: "denied",
      env: "allowed",
      net: "granted",
    });
    expect(answer.heap_limit_mb).toBe(256);
  });

  it("reports the CPU each request used in x-edge-cpu-ms and a log line", async () => {
    const res = await call("burn", { ms: 300 });
    expect(res.status).toBe(200);
    const cpu = Number(res.headers.get("x-edge-cpu-ms"));
    expect(cpu).toBeGreaterThanOrEqual(290);
    expect(cpu).toBeLessThan(2000);
    expect(server.output()).toMatch(/POST \/burn 200 in \d+ ms, CPU \d+\.\d ms of 2000, heap \d+ MB/);
  });

  it("stops a request past 2 s of CPU with 546, as Supabase does, and serves the next one", async () => {
    const res = await call("burn", { ms: 2600 });
    expect(res.status).toBe(546);
    expect(await res.json()).toMatchObject({ error: "WORKER_LIMIT", reason: expect.stringMatching(/CPU/) });
    expect(server.output()).toMatch(/edge-profile: LIMIT POST \/burn used \d+ ms of CPU/);
    const next = await call("burn", { ms: 10 });
    expect(next.status).toBe(200);
  }, 30_000);

  it("stops a function whose heap passes 256 MB with 546, and serves the next request", async () => {
    const res = await call("hog", { mb: 400 });
    expect(res.status).toBe(546);
    expect(await res.json()).toMatchObject({ error: "WORKER_LIMIT", reason: expect.stringMatching(/out of memory/) });
    const small = await call("hog", { mb: 16 });
    expect(small.status).toBe(200);
    expect(await small.json()).toEqual({ kept: 16 });
  }, 60_000);
});
