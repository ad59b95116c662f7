#!/usr/bin/env node
// The webhook load generator, run under Node (autocannon is a Node tool): sends pre-signed, distinct
// deliveries from a JSON-lines pool at a fixed concurrency for a fixed time, and records which
// deliveries were answered 2xx, so the caller can check every one of them reached the database.
//
//   node bench/load.mjs --url URL --pool deliveries.jsonl --out result.json \
//                       [--connections 32] [--seconds 20] [--warmup 2]
//
// Pool lines: {"id": "<webhook-id>", "headers": {...}, "body": "<raw JSON>"}. When the pool runs
// out the generator starts over (`reused` counts those sends; a deduplicating server answers them
// as duplicates).
import autocannon from "autocannon";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    pool: { type: "string" },
    out: { type: "string" },
    connections: { type: "string", default: "32" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "0" },
  },
});
if (!values.url || !values.pool || !values.out) {
  console.error(
    "usage: node bench/load.mjs --url URL --pool FILE --out FILE [--connections N] [--seconds S]",
  );
  process.exit(2);
}

const pool = readFileSync(values.pool, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
const answered = [];
let next = 0;
let reused = 0;
let measuring = false;
let measuredAnswered = 0;

const request = {
  method: "POST",
  setupRequest(req, context) {
    const index = next++;
    if (index >= pool.length) reused++;
    const delivery = pool[index % pool.length];
    context.id = delivery.id;
    return {
      ...req,
      headers: { "content-type": "application/json", ...delivery.headers },
      body: delivery.body,
    };
  },
  onResponse(status, _body, context) {
    if (status >= 200 && status < 300) {
      answered.push(context.id);
      if (measuring) measuredAnswered++;
    }
  },
};

function run(seconds) {
  return autocannon({
    url: values.url,
    connections: Number(values.connections),
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    requests: [request],
  });
}

if (Number(values.warmup) > 0) await run(Number(values.warmup));
measuring = true;
const result = await run(Number(values.seconds));
measuring = false;

writeFileSync(
  values.out,
  JSON.stringify({
    seconds: result.duration,
    connections: result.connections,
    sent: result.requests.sent,
    responses: result.requests.total,
    ok: measuredAnswered,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodeStats,
    latency: {
      average: result.latency.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    poolSize: pool.length,
    reused,
    answeredIds: answered,
  }),
);
