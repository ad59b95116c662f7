/**
 * Every Whop fixture, signed with a test key as Whop signs it, travels the whole pure path:
 * verify the signature over the file's bytes, parse the envelope, map to records.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../sync/record.ts";
import { signWhopLegacySignature, verifyWhopLegacySignature } from "./legacy-signature.ts";
import { whopEventToRecords } from "./map-whop-event.ts";
import { parseWhopEvent } from "./parse-whop-event.ts";
import { signStandardWebhook, verifyStandardWebhook } from "./standard-webhooks.ts";

const FIXTURES = new URL("../../../tests/fixtures/whop/", import.meta.url);
const SECRET = "ws_test_fixture_key_5d0b6a";
const NOW = new Date("2026-08-01T12:00:00Z");

const EXPECTED: Record<string, Partial<SourceRecord>> = {
  "payment.succeeded.json": {
    key: "pay_Fh3KzQ8pLw2Vn1",
    scope: "payment",
    email: "john.doe@example.com",
    name: "John Doe",
    amount: "49",
    currency: "USD",
    amountUsd: "49",
    refunded: "0",
    revenue: true,
    date: new Date("2026-07-22T14:03:09.000Z"),
    changedAt: new Date("2026-07-22T14:03:10.118Z"),
  },
  "payment.failed.json": {
    key: "pay_Wd7Gk2Mz9Qs4Rt",
    email: "Maria.K@Example.com",
    name: "maria_k",
    amount: "19.99",
    currency: "EUR",
    amountUsd: "21.67",
    revenue: false,
    date: new Date("2026-07-24T07:59:58.031Z"),
  },
  "payment.pending.json": {
    key: "pay_Jk5Lz1Xc8Vb3Nm",
    email: null,
    name: "Lee Chen",
    amount: "1200",
    revenue: false,
  },
  "membership.activated.json": {
    key: "mem_Pz5Wc2Ry7Tn4Hm",
    scope: "membership",
    email: "john.doe@example.com",
    revenue: false,
    changedAt: new Date("2023-12-01T05:00:00.401Z"),
  },
  "membership.deactivated.json": {
    key: "mem_Hq2Vx8Lp3Zr6Nc",
    scope: "membership",
    name: "maria_k",
    revenue: false,
  },
  "refund.created.json": {
    key: "rfnd_Mx4Cz8Vb2Nq6Wl",
    scope: "refund",
    parentKey: "pay_Fh3KzQ8pLw2Vn1",
    refunded: "0",
    email: null,
    changedAt: new Date("2026-07-23T09:15:02.100Z"),
  },
  "dispute.created.json": {
    key: "dspt_Gk4Nw8Qz2Rt6Yb",
    scope: "dispute",
    parentKey: "pay_Fh3KzQ8pLw2Vn1",
    refunded: "0",
    contested: "49",
    revenue: false,
    rank: 3,
    changedAt: new Date("2026-08-02T10:20:30.000Z"),
  },
  "legacy-v5.payment.succeeded.json": {
    key: "pay_Rt6Yu1Io5Pa9Sd",
    scope: "payment",
    email: null,
    amount: "2",
    currency: "USD",
    revenue: true,
    date: new Date(1675816601 * 1000),
    changedAt: null,
  },
};

describe("Whop fixtures", () => {
  it("has an expectation for every fixture file and a file for every expectation", () => {
    expect(readdirSync(FIXTURES).filter((name) => name.endsWith(".json")).sort()).toEqual(
      Object.keys(EXPECTED).sort(),
    );
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: verifies when signed as Whop signs it, parses and maps to its record`, async () => {
      const body = new Uint8Array(readFileSync(new URL(file, FIXTURES)));
      const json = JSON.parse(new TextDecoder().decode(body));
      if (file.startsWith("legacy-")) {
        const header = await signWhopLegacySignature({ body, secret: SECRET, timestamp: NOW });
        await verifyWhopLegacySignature({ header, body, secret: SECRET, now: NOW });
      } else {
        const headers = await signStandardWebhook({ id: json.id, timestamp: NOW, body, secret: SECRET });
        const verified = await verifyStandardWebhook({
          headers: new Headers(headers),
          body,
          secret: SECRET,
          now: NOW,
        });
        expect(verified.id).toBe(json.id);
      }

      const event = parseWhopEvent(new TextDecoder().decode(body));
      expect(event.type).toBe(json.type ?? json.action);
      const { records, ignored } = whopEventToRecords(event);
      expect(ignored).toBeUndefined();
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject(expected);
      expect(records[0].raw).toEqual(json.data);
    });
  }
});
