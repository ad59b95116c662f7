/**
 * Hostile input against every parser and verifier, by property (fast-check, thousands of generated
 * cases) and by the corpus in tests/fixtures/hostile/. Each one either succeeds or refuses with the
 * error class interfaces.md maps to an answer (SignatureError → 401, PayloadError → 400 or a
 * failed event, PayloadTooLargeError → 413, a `{ ok: false, reason }` result for cell parsers);
 * none throws anything else, and no refusal carries more than one line.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { PayloadError, PayloadTooLargeError, SignatureError } from "../../shared/errors.ts";
import { signStandardWebhook, verifyStandardWebhook } from "../../shared/sources/whop/standard-webhooks.ts";
import {
  signWhopLegacySignature,
  verifyWhopLegacySignature,
} from "../../shared/sources/whop/legacy-signature.ts";
import { parseWhopEvent } from "../../shared/sources/whop/parse-whop-event.ts";
import { whopEventToRecords } from "../../shared/sources/whop/map-whop-event.ts";
import { parseGhlEvent } from "../../shared/sources/ghl/parse-ghl-event.ts";
import { ghlEventToRecords } from "../../shared/sources/ghl/map-ghl-event.ts";
import { verifyGhlSignature } from "../../shared/sources/ghl/ghl-signature.ts";
import { createGhlTestSigner } from "../../shared/sources/ghl/ghl-signature.test-helpers.ts";
import { verifyWorkflowSecret } from "../../shared/sources/ghl/workflow-secret.ts";
import { parseMoney } from "../../shared/sources/tabular/parse-money.ts";
import { parseSheetDate } from "../../shared/sources/tabular/parse-date.ts";
import { csvRows } from "../../shared/sources/tabular/csv-stream.ts";
import { toCsvSource } from "../../shared/sources/sheets/google-url.ts";
import { MAX_BODY_BYTES, readBody } from "../../shared/http/read-body.ts";
import { normaliseEmail, prepareRecord } from "../../shared/sync/normalize.ts";
import { canonicalEmail } from "../../shared/sync/email.ts";
import type { SourceRecord } from "../../shared/sync/record.ts";

const RUNS = Number(process.env.RELIABILITY_PROPERTY_RUNS ?? 400);
const SECRET = "ws_hostile_property_secret";
const HOSTILE = "tests/fixtures/hostile";
const strings = JSON.parse(readFileSync(`${HOSTILE}/strings.json`, "utf8")) as {
  names: string[];
  emails: { sent: string; stored: string | null }[];
  amounts: string[];
  moneyCells: string[];
  dateCells: string[];
  headerValues: string[];
};
const corpus = readdirSync(`${HOSTILE}/bodies`).map((name) => ({
  name,
  bytes: new Uint8Array(readFileSync(`${HOSTILE}/bodies/${name}`)),
}));
const text = (bytes: Uint8Array) => new TextDecoder("utf-8", { fatal: false }).decode(bytes);
let tally = 0;

/** Runs `fn` and classifies its outcome: "ok", or the name of an allowed error class. */
async function outcome(fn: () => unknown, allowed: (new (...args: never[]) => Error)[]): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    const known = allowed.find((k) => error instanceof k);
    if (!known) throw new Error(`unexpected ${(error as Error)?.name}: ${(error as Error)?.message}`);
    expect((error as Error).message).not.toContain("\n");
    return known.name;
  }
}

/** Strings of any unit: ASCII, any code point, lone surrogates too. */
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom(...strings.names, ...strings.headerValues, ...strings.moneyCells, ...strings.dateCells),
);
/** A value valid in an HTTP header (the Headers class refuses CR, LF and NUL, as HTTP does). */
const headerText = fc.string({ unit: "grapheme-ascii", maxLength: 120 }).map((s) =>
  s.replace(/[\r\n\0]/g, "")
);
/** Bytes, then one of: a flipped bit, a cut, an extra byte. */
const tamper = (bytes: Uint8Array) =>
  fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("append" as const), byte: fc.integer({ min: 0, max: 255 }) }),
  ).filter((t) => t.kind === "append" || bytes.length > 0).map((t) => {
    if (t.kind === "append") return new Uint8Array([...bytes, t.byte]);
    const at = t.at % bytes.length;
    if (t.kind === "cut") return bytes.slice(0, at);
    const out = bytes.slice();
    out[at] ^= 1 << t.bit;
    return out;
  });
const bodyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.constantFrom(...corpus.filter((c) => c.bytes.length < 100_000).map((c) => c.bytes)),
);

describe("signature verifiers under hostile input", () => {
  it("Standard Webhooks: a valid signature over any bytes verifies; any tampered byte, cut or extra byte is a 401", async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyBytes.chain((b) => fc.tuple(fc.constant(b), tamper(b))),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        async ([body, tampered], id) => {
          tally++;
          const headers = new Headers(
            await signStandardWebhook({ id, timestamp: new Date(), body, secret: SECRET }),
          );
          expect(await verifyStandardWebhook({ headers, body, secret: SECRET })).toMatchObject({ id });
          expect(
            await outcome(() => verifyStandardWebhook({ headers, body: tampered, secret: SECRET }), [
              SignatureError,
            ]),
          )
            .toBe("SignatureError");
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("Standard Webhooks: arbitrary header values are refused with a one-line 401, never another error", async () => {
    await fc.assert(
      fc.asyncProperty(headerText, headerText, headerText, bodyBytes, async (id, ts, sig, body) => {
        tally++;
        const headers = new Headers({ "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig });
        expect(
          await outcome(() => verifyStandardWebhook({ headers, body, secret: SECRET }), [SignatureError]),
        )
          .toBe("SignatureError");
      }),
      { numRuns: RUNS },
    );
  });

  it("Whop legacy: a valid x-whop-signature verifies; tampered bodies and arbitrary headers are 401s", async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyBytes.chain((b) => fc.tuple(fc.constant(b), tamper(b))),
        headerText,
        async ([body, tampered], junk) => {
          tally++;
          const header = await signWhopLegacySignature({ body, secret: SECRET, timestamp: new Date() });
          await verifyWhopLegacySignature({ header, body, secret: SECRET });
          expect(
            await outcome(() => verifyWhopLegacySignature({ header, body: tampered, secret: SECRET }), [
              SignatureError,
            ]),
          )
            .toBe("SignatureError");
          expect(
            await outcome(() => verifyWhopLegacySignature({ header: junk, body, secret: SECRET }), [
              SignatureError,
            ]),
          )
            .toBe("SignatureError");
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("HighLevel: Ed25519 and RSA signatures verify over any bytes; tampering and junk headers are 401s", async () => {
    const signer = await createGhlTestSigner();
    await fc.assert(
      fc.asyncProperty(
        bodyBytes.chain((b) => fc.tuple(fc.constant(b), tamper(b))),
        fc.boolean(),
        headerText,
        async ([body, tampered], rsa, junk) => {
          tally++;
          const headers = await signer.headers(body, rsa ? { rsa: true } : { ed25519: true });
          expect(await verifyGhlSignature({ headers, body, keys: signer.keys })).toBe(
            rsa ? "rsa" : "ed25519",
          );
          expect(
            await outcome(() => verifyGhlSignature({ headers, body: tampered, keys: signer.keys }), [
              SignatureError,
            ]),
          )
            .toBe("SignatureError");
          const forged = new Headers({ [rsa ? "X-WH-Signature" : "X-GHL-Signature"]: junk });
          expect(
            await outcome(() => verifyGhlSignature({ headers: forged, body, keys: signer.keys }), [
              SignatureError,
            ]),
          )
            .toBe("SignatureError");
        },
      ),
      { numRuns: Math.max(200, RUNS / 2) },
    );
  });

  it("workflow secret: passes only the exact secret; look-alikes, prefixes and any other text are 401s", async () => {
    const expected = "wf_s3cret_Ω_value";
    const lookalikes = [
      "wf_s3cret_Ω_valuе",
      "wf_s3cret_Ω_value ",
      "WF_S3CRET_Ω_VALUE",
      "wf_s3cret_Ω_valu",
      "wf_s3cret_\u2126_value",
    ];
    for (const provided of lookalikes) {
      expect(await outcome(() => verifyWorkflowSecret({ provided, expected }), [SignatureError])).toBe(
        "SignatureError",
      );
    }
    await fc.assert(
      fc.asyncProperty(anyText, anyText, async (provided, other) => {
        tally++;
        expect(await outcome(() => verifyWorkflowSecret({ provided, expected: provided }), [SignatureError]))
          .toBe(provided === "" ? "SignatureError" : "ok");
        const result = await outcome(() => verifyWorkflowSecret({ provided, expected: other }), [
          SignatureError,
        ]);
        expect(result).toBe(provided === other && provided !== "" ? "ok" : "SignatureError");
      }),
      { numRuns: RUNS },
    );
  });
});

describe("payload parsers under hostile input", () => {
  const whopFixture = JSON.parse(readFileSync("tests/fixtures/whop/payment.succeeded.json", "utf8"));
  const ghlFixture = JSON.parse(readFileSync("tests/fixtures/ghl/ContactUpdate.json", "utf8"));

  it("parseWhopEvent and its mapper take any text to an event or a one-line PayloadError", async () => {
    const bodies = fc.oneof(
      anyText,
      fc.json({ maxDepth: 6 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) =>
        JSON.stringify({ ...whopFixture, data: { ...whopFixture.data, total: v } })
      ),
      fc.jsonValue({ maxDepth: 4 }).map((v) =>
        JSON.stringify({ ...whopFixture, data: { ...whopFixture.data, user: v } })
      ),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ ...whopFixture, type: v })),
      fc.constantFrom(...corpus.map((c) => text(c.bytes))),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        tally++;
        await outcome(() => whopEventToRecords(parseWhopEvent(body)), [PayloadError]);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("parseGhlEvent and its mapper take any text to an event or a one-line PayloadError", async () => {
    const bodies = fc.oneof(
      anyText,
      fc.json({ maxDepth: 6 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ ...ghlFixture, email: v })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ ...ghlFixture, id: v, tags: v })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ contact_id: "c1", location: v, tags: v })),
      fc.constantFrom(...corpus.map((c) => text(c.bytes))),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        tally++;
        await outcome(() => ghlEventToRecords(parseGhlEvent(body)), [PayloadError]);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("keeps SQL and spreadsheet-formula text in names verbatim in the record's raw object", () => {
    for (const name of strings.names) {
      const body = JSON.stringify({
        ...whopFixture,
        data: { ...whopFixture.data, user: { ...whopFixture.data.user, name } },
      });
      const [record] = whopEventToRecords(parseWhopEvent(body)).records;
      expect((record.raw as { user: { name: string } }).user.name).toBe(name);
      expect(prepareRecord(record).raw).toContain(JSON.stringify(name));
    }
  });
});

describe("cell parsers under hostile input", () => {
  const decimal = /^-?(0|[1-9]\d*)(\.\d+)?$/;
  const negativeZero = /^-0(\.0+)?$/;

  it("parseMoney answers an exact decimal (never -0, never exponent form) or a one-line reason, for any text or number", () => {
    for (const cell of [...strings.moneyCells, ...strings.amounts]) expect(parseMoney(cell)).toBeDefined();
    expect(parseMoney(Number.NaN)).toMatchObject({ ok: false });
    expect(parseMoney(1e308)).toMatchObject({ ok: false });
    expect(parseMoney(-0)).toEqual({ ok: true, amount: "0", currency: null });
    expect(parseMoney("-0")).toMatchObject({ ok: true, amount: "0" });
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          fc.double(),
          fc.integer(),
          fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e308, 5e-324),
        ),
        fc.constantFrom(".", ","),
        (cell, mark) => {
          tally++;
          const result = parseMoney(cell as string | number, { decimal: mark as "." | "," });
          if (result.ok) {
            expect(result.amount).toMatch(decimal);
            expect(result.amount).not.toMatch(negativeZero);
          } else expect(result.reason).not.toContain("\n");
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it("parseSheetDate answers a valid date or a one-line reason, for any text or number", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.double(), fc.integer()), fc.boolean(), (cell, dayFirst) => {
        tally++;
        const result = parseSheetDate(cell as string | number, { dayFirst });
        if (result.ok) expect(Number.isNaN(result.date.getTime())).toBe(false);
        else expect(result.reason).not.toContain("\n");
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("toCsvSource resolves any pasted text to a source or a one-line PayloadError", async () => {
    const urls = fc.oneof(
      anyText,
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(
        fc.constantFrom(
          "https://docs.google.com/spreadsheets/d/",
          "sheets:",
          "https://docs.google.com/spreadsheets/d/e/",
        ),
        anyText,
      )
        .map(([a, b]) => a + b),
    );
    await fc.assert(
      fc.asyncProperty(urls, async (url) => {
        tally++;
        await outcome(() => toCsvSource(url), [PayloadError]);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("csvRows reads any bytes, in any chunking, to rows or a one-line PayloadError", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.array(fc.array(anyText, { minLength: 1, maxLength: 5 }), { maxLength: 8 })
            .map((rows) => new TextEncoder().encode(rows.map((r) => r.join(",")).join("\n"))),
          fc.constantFrom(...corpus.filter((c) => c.bytes.length < 70_000).map((c) => c.bytes)),
        ),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        async (bytes, cuts) => {
          tally++;
          await outcome(async () => {
            for await (const chunk of csvRows(streamOf(bytes, cuts), { chunkRows: 3, maxRecordSize: 4096 })) {
              expect(chunk.rows.length).toBe(chunk.rowNumbers.length);
            }
          }, [PayloadError]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("csvRows gives back SQL and formula text in cells exactly as written (quoted CSV)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.constantFrom(...strings.names), fc.string({ unit: "grapheme", maxLength: 20 })),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 4 }),
        async (cells, cuts) => {
          tally++;
          const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
          const headers = cells.map((_, i) => `h${i}`);
          const csv = `${headers.join(",")}\r\n${cells.map(quote).join(",")}\r\n`;
          const rows = [];
          for await (const chunk of csvRows(streamOf(new TextEncoder().encode(csv), cuts))) {
            rows.push(...chunk.rows);
          }
          // A row whose every cell is blank is skipped by design (csv-stream.ts); any other comes back exactly.
          const blank = cells.every((c) => c.trim() === "");
          expect(rows).toEqual(blank ? [] : [Object.fromEntries(headers.map((h, i) => [h, cells[i]]))]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("request bodies and records under hostile input", () => {
  it("readBody returns exactly the bytes up to the limit, and refuses past it whatever content-length claims", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.oneof(fc.constant(null), fc.constant("lie"), fc.constant("junk"), fc.constant("truth")),
        async (sizes, limit, claim) => {
          tally++;
          const parts = sizes.map((n, i) => new Uint8Array(n).fill(i % 251));
          const total = sizes.reduce((a, b) => a + b, 0);
          const headers: Record<string, string> = {};
          // A client that understates its size must still be stopped at the limit.
          if (claim === "lie") headers["content-length"] = "0";
          if (claim === "junk") headers["content-length"] = "12abc";
          if (claim === "truth") headers["content-length"] = String(total);
          const request = new Request("http://x/", {
            method: "POST",
            headers,
            body: new ReadableStream({
              start(c) {
                for (const p of parts) c.enqueue(p);
                c.close();
              },
            }),
            duplex: "half",
          } as RequestInit);
          const result = await outcome(() => readBody(request, limit), [PayloadTooLargeError]);
          expect(result).toBe(total > limit ? "PayloadTooLargeError" : "ok");
          if (total <= limit) {
            const again = new Request("http://x/", { method: "POST", body: concat(parts) });
            expect(await readBody(again, limit)).toEqual(concat(parts));
          }
        },
      ),
      { numRuns: RUNS },
    );
    const big = new Request("http://x/", { method: "POST", body: new Uint8Array(MAX_BODY_BYTES + 1) });
    expect(await outcome(() => readBody(big), [PayloadTooLargeError])).toBe("PayloadTooLargeError");
    const exact = new Request("http://x/", { method: "POST", body: new Uint8Array(MAX_BODY_BYTES) });
    expect((await readBody(exact)).length).toBe(MAX_BODY_BYTES);
  });

  it("normaliseEmail keeps +tags and look-alike letters distinct, and only canonicalises the spelling", () => {
    for (const { sent, stored } of strings.emails) expect(normaliseEmail(sent), sent).toBe(stored);
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          fc.emailAddress(),
          fc.tuple(fc.emailAddress(), anyText).map(([e, s]) => e.replace("@", `+${s}@`)),
        ),
        (email) => {
          tally++;
          const normal = normaliseEmail(email);
          if (normal === null) return;
          expect(normal).toBe(canonicalEmail(email));
          expect(normaliseEmail(normal)).toBe(normal);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("prepareRecord accepts or refuses any record with a one-line reason, and keeps raw text verbatim", () => {
    const record = fc.record({
      key: fc.oneof(anyText, fc.constant(""), fc.constant(undefined as unknown as string)),
      scope: fc.oneof(anyText, fc.constant(null as unknown as string)),
      email: fc.oneof(anyText, fc.constant(null)),
      name: fc.oneof(anyText, fc.constant(null)),
      raw: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(deep(10_000)), anyText),
      changedAt: fc.oneof(fc.date({ noInvalidDate: false }), fc.constant(null)),
      amount: fc.oneof(fc.constant(null), anyText, fc.constantFrom(...strings.amounts)),
    }) as fc.Arbitrary<SourceRecord>;
    fc.assert(
      fc.property(record, (r) => {
        tally++;
        let prepared;
        try {
          prepared = prepareRecord(r);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).not.toContain("\n");
          return;
        }
        expect(JSON.parse(prepared.raw)).toEqual(JSON.parse(JSON.stringify(r.raw ?? null)));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("prints how many generated cases ran", () => {
    expect(tally).toBeGreaterThan(RUNS * 10);
    console.log(
      `[reliability] hostile input: ${tally} generated cases and ${corpus.length} corpus bodies through every parser and verifier, 0 crashes`,
    );
  });
});

function streamOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const n = cuts[i++ % cuts.length];
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function deep(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}
