/**
 * One email normalisation in TypeScript (`canonicalEmail`, behind `normaliseEmail`) and in SQL
 * (`customer_sync_normalise_email`, behind the users check): both agree on every character their
 * tables name and on generated spellings, and the engine makes one person of an address however
 * it is spelled (decomposed accents, zero-width characters, a BOM).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import {
  canonicalEmail,
  codePoints,
  FORMAT_CHARACTERS,
  lowerPairs,
  TRIM_CHARACTERS,
} from "../../shared/sync/email.ts";
import { normaliseEmail } from "../../shared/sync/normalize.ts";
import { upsertRecords } from "../../shared/sync/engine.ts";
import { whopTable } from "../../shared/sources/whop/table.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, whop_data cascade`.execute(t.kysely);
});

/** What SQL makes of each input, in order. */
async function inSql(inputs: readonly string[]): Promise<string[]> {
  const result = await sql<{ out: string }>`
    select customer_sync_normalise_email(x) as out
    from json_array_elements_text(${JSON.stringify(inputs)}::text::json) with ordinality as j(x, i)
    order by i`.execute(t.kysely);
  return result.rows.map((r) => r.out);
}

// Pieces an address is spelled from: letters in both cases, decomposed and precomposed accents,
// format characters, white space, look-alikes and the letters toLowerCase treats specially.
const pieces = [
  ..."aAbBzZ09._+-@",
  "e\u0301",
  "\u00e9",
  "\u00c9",
  "E\u0301",
  "u\u0308",
  "\u00dc",
  "A\u030a",
  "\u212b",
  "\u00df",
  "\u1e9e",
  "\u0130",
  "\u03a3",
  "\u03c3",
  "\u03c2",
  "\u0416",
  "\u0436",
  "\uff2a",
  "\u01c5",
  "\u0345",
  "\u0399\u0308",
  "\u200b",
  "\u200c",
  "\u200d",
  "\u2060",
  "\ufeff",
  "\u00ad",
  "\u202e",
  "\u{e0020}",
  "\u{1d173}",
  " ",
  "\t",
  "\n",
  "\u00a0",
  "\u3000",
  "\u2028",
  "\u1680",
];
const spelling = fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((p) => p.join(""));
const address = fc.tuple(spelling, fc.emailAddress(), spelling, spelling).map(([a, e, b, c]) =>
  `${a}${e.replace("@", `${b}@`)}${c}`
);

describe("email normalisation", () => {
  it("is the same in TypeScript and SQL on every character its tables name", async () => {
    const chars = [
      ...codePoints(FORMAT_CHARACTERS),
      ...codePoints(TRIM_CHARACTERS),
      ...lowerPairs().map(([from]) => from),
    ].map((cp) => `a${String.fromCodePoint(cp)}b@x.com`);
    expect(await inSql(chars)).toEqual(chars.map(canonicalEmail));
  });

  it("is the same in TypeScript and SQL on generated spellings, and settles in one step", async () => {
    const inputs = fc.sample(fc.oneof(spelling, address), { numRuns: 3000, seed: 20261204 });
    const sqlOut = await inSql(inputs);
    inputs.forEach((input, i) => {
      const ts = canonicalEmail(input);
      expect(sqlOut[i], JSON.stringify(input)).toBe(ts);
      expect(canonicalEmail(ts)).toBe(ts);
    });
    fc.assert(fc.property(address, (input) => {
      const normal = normaliseEmail(input);
      if (normal !== null) expect(normaliseEmail(normal)).toBe(normal);
    }));
  });

  it("makes one person of an address spelled with NFD accents, a zero-width space, a joiner or a BOM", async () => {
    const spellings = [
      "Jos\u00e9@Example.com",
      "Jose\u0301@example.com",
      "jos\u00e9\u200b@example.com",
      "\ufeffjos\u200d\u00e9@example.com ",
      "JOSE\u0301@EXAMPLE.COM",
    ];
    const counts = await upsertRecords(
      t.kysely,
      whopTable,
      spellings.map((email, i) => ({
        key: `pay_${i}`,
        scope: "payment",
        email,
        name: null,
        raw: { id: `pay_${i}` },
        changedAt: new Date("2026-01-01T00:00:00Z"),
        amount: "10",
        currency: "USD",
        revenue: true,
      })),
    );
    expect(counts.failed).toBe(0);
    const people = await t.kysely.selectFrom("users").select("email").execute();
    expect(people).toEqual([{ email: "jos\u00e9@example.com" }]);
    const [row] =
      (await sql<{ total_usd: string }>`select total_usd from revenue_by_user`.execute(t.kysely)).rows;
    expect(row.total_usd).toBe("50.00");
  });

  it("lets the users check refuse an address that is not in its canonical spelling", async () => {
    await expect(sql`insert into users (email) values (${"jose\u0301@example.com"})`.execute(t.kysely))
      .rejects.toThrow(/users_email_check/);
    await expect(sql`insert into users (email) values (${"a\u200b@example.com"})`.execute(t.kysely))
      .rejects.toThrow(/users_email_check/);
  });
});
