import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { UpstreamError } from "../../errors.ts";
import { csvRows } from "../tabular/csv-stream.ts";
import { fetchCsv } from "./fetch-csv.ts";

// A local stand-in for Google's export endpoint, behaving as the sources document.
let server: Server;
let base: string;
const hits: Record<string, number> = {};
const CSV = "Email,Amount\nann@example.com,$10.00\n";

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits[path] = (hits[path] ?? 0) + 1;
    switch (path) {
      case "/sales.csv":
        return res.writeHead(200, { "content-type": "text/csv; charset=utf-8" }).end(CSV);
      case "/spreadsheets/d/abc/export?format=csv&gid=0":
        return res.writeHead(307, { location: "/sales.csv" }).end();
      case "/signin":
        return res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
          "<!DOCTYPE html><title>Sign in</title>",
        );
      case "/plain-html":
        return res.writeHead(200, { "content-type": "text/plain" }).end(
          "\n  <!doctype html><html>Sign in</html>",
        );
      case "/json":
        return res.writeHead(200, { "content-type": "application/json" }).end("{}");
      case "/missing":
        return res.writeHead(404).end("not found");
      case "/private":
        return res.writeHead(403).end();
      case "/busy":
        if (hits[path] < 3) return res.writeHead(429, { "retry-after": "1" }).end();
        return res.writeHead(200, { "content-type": "text/csv" }).end(CSV);
      case "/down":
        return res.writeHead(503).end();
      case "/silent":
        return; // never answers
      case "/stall":
        res.writeHead(200, { "content-type": "text/csv" });
        return res.write("Email\na@x.com\n"); // then nothing more
      default:
        return res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(() => null, (e) => e);
  expect(error).toBeInstanceOf(UpstreamError);
  expect(error.message).not.toContain("\n");
  return error;
}

const noWait = { sleep: () => Promise.resolve() };

describe("fetchCsv", () => {
  it("streams a CSV body", async () => {
    expect(await text(await fetchCsv(`${base}/sales.csv`))).toBe(CSV);
  });

  it("follows the 307 redirect Google's export link answers with", async () => {
    const body = await fetchCsv(`${base}/spreadsheets/d/abc/export?format=csv&gid=0`);
    const chunks = [];
    for await (const chunk of csvRows(body)) chunks.push(chunk);
    expect(chunks[0].rows).toEqual([{ Email: "ann@example.com", Amount: "$10.00" }]);
  });

  it("explains an HTML sign-in page answered with status 200", async () => {
    const error = await failure(fetchCsv(`${base}/signin`));
    expect(error.message).toBe("the CSV URL answered with an HTML page, not CSV");
  });

  it("recognises HTML served as text/plain", async () => {
    await failure(fetchCsv(`${base}/plain-html`));
  });

  it("names Google when Google's own host answers with a sign-in page", async () => {
    const fake = (() =>
      Promise.resolve(
        new Response("<html>", { headers: { "content-type": "text/html" } }),
      )) as typeof fetch;
    const error = await failure(
      fetchCsv("https://docs.google.com/spreadsheets/d/abc/export?format=csv&gid=0", { fetch: fake }),
    );
    expect(error.message).toBe("the sheet is not shared publicly: Google answered with an HTML sign-in page");
  });

  it("refuses a body that is not CSV by its content type", async () => {
    expect((await failure(fetchCsv(`${base}/json`))).message).toBe(
      "the CSV URL answered application/json, not CSV",
    );
  });

  it("fails a 404 and a 403 at once, without retrying", async () => {
    expect((await failure(fetchCsv(`${base}/missing`))).status).toBe(404);
    expect((await failure(fetchCsv(`${base}/private`))).status).toBe(403);
    expect(hits["/missing"]).toBe(1);
  });

  it("retries 429 honouring Retry-After, then succeeds", async () => {
    const waits: number[] = [];
    const body = await fetchCsv(`${base}/busy`, { sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    expect(await text(body)).toBe(CSV);
    expect(waits).toEqual([1000, 1000]);
  });

  it("gives up on a 503 that outlasts the retries", async () => {
    const error = await failure(fetchCsv(`${base}/down`, { ...noWait, maxAttempts: 3 }));
    expect(error.message).toBe("the CSV URL answered 503 after 3 attempts");
    expect(hits["/down"]).toBe(3);
  });

  it("times out a server that never answers", async () => {
    const error = await failure(fetchCsv(`${base}/silent`, { timeoutMs: 100 }));
    expect(error.message).toBe("the CSV URL did not answer within 100 ms");
  });

  it("stops streaming when the caller aborts mid-body", async () => {
    const controller = new AbortController();
    const body = await fetchCsv(`${base}/stall`, { signal: controller.signal, timeoutMs: 5000 });
    const reader = body.getReader();
    await reader.read();
    const reason = new Error("pull cancelled");
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
  });

  it("errors the stream when the server goes silent mid-body", async () => {
    const body = await fetchCsv(`${base}/stall`, { timeoutMs: 150 });
    const error = await text(body).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toBe("the CSV URL stopped sending the CSV for 150 ms");
  });
});
