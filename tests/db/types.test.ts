import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as ts from "typescript";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";

// Reads shared/db/types.ts with the TypeScript compiler and compares every table interface with the
// migrated schema: the same columns, and `| null` exactly where the column is nullable.
interface DeclaredColumn {
  name: string;
  nullable: boolean;
}

function declaredTables(): Map<string, DeclaredColumn[]> {
  const source = ts.createSourceFile("types.ts", readFileSync("shared/db/types.ts", "utf8"), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const aliases = new Map<string, ts.TypeAliasDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node);
  });
  const isNullable = (type: ts.TypeNode | undefined): boolean => {
    if (!type) return false;
    const text = type.getText(source);
    if (/\bnull\b/.test(text.split(",")[0])) return true; // ColumnType<X | null, ...> or X | null
    if (ts.isTypeReferenceNode(type)) {
      const name = type.typeName.getText(source);
      if (name === "Generated") return isNullable(type.typeArguments?.[0]);
      const alias = aliases.get(name);
      if (alias) return isNullable(alias.type);
    }
    return false;
  };
  const columns = (decl: ts.InterfaceDeclaration): DeclaredColumn[] => {
    const inherited = (decl.heritageClauses ?? []).flatMap((h) =>
      h.types.flatMap((t) => columns(interfaces.get(t.expression.getText(source))!))
    );
    const own = decl.members.filter(ts.isPropertySignature).map((m) => ({
      name: m.name.getText(source),
      nullable: isNullable(m.type),
    }));
    return [...inherited, ...own];
  };
  const tables = new Map<string, DeclaredColumn[]>();
  for (const member of interfaces.get("Database")!.members.filter(ts.isPropertySignature)) {
    const iface = interfaces.get(member.type!.getText(source))!;
    tables.set(member.name.getText(source), columns(iface));
  }
  return tables;
}

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe("Kysely table types", () => {
  it("match the migrated tables and views column for column, nullability included", async () => {
    const declared = declaredTables();
    expect(declared.size).toBeGreaterThanOrEqual(12);
    for (const [table, columns] of declared) {
      const actual = await t.sql<{ column_name: string; is_nullable: string }[]>`
        select column_name, is_nullable from information_schema.columns
        where table_schema = 'public' and table_name = ${table} order by column_name`;
      expect(actual.length, `${table} exists`).toBeGreaterThan(0);
      expect(columns.map((c) => c.name).sort(), `${table} columns`).toEqual(actual.map((c) => c.column_name));
      const isView = (await t.sql`select 1 from information_schema.views where table_name = ${table}`).length > 0;
      if (isView) continue; // views report every column nullable
      for (const c of actual) {
        const d = columns.find((x) => x.name === c.column_name)!;
        expect(d.nullable, `${table}.${c.column_name} nullable`).toBe(c.is_nullable === "YES");
      }
    }
  });
});
