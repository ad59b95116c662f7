import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import * as ts from "typescript";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";

// Compares every table interface, read with the TypeScript compiler, with the migrated schema: the
// same columns, and `| null` exactly where the column is nullable.
interface DeclaredColumn {
  name: string;
  nullable: boolean;
}

// Reads shared/db/types.ts and the source folders' modules, whose `declare module` blocks add the
// source tables to `Database` and their columns to `RevenueByUserView`.
function declaredFiles(): ts.SourceFile[] {
  const paths = [
    "shared/db/types.ts",
    ...readdirSync("shared/sources", { recursive: true, encoding: "utf8" })
      .filter((p) => p.endsWith(".ts") && !p.endsWith(".test.ts"))
      .map((p) => `shared/sources/${p}`),
  ];
  return paths.map((p) => ts.createSourceFile(p, readFileSync(p, "utf8"), ts.ScriptTarget.Latest, true));
}

function declaredTables(): Map<string, DeclaredColumn[]> {
  // Interfaces of one name merge, as TypeScript merges an augmentation into the original.
  const interfaces = new Map<string, { decl: ts.InterfaceDeclaration; file: ts.SourceFile }[]>();
  const aliases = new Map<string, { decl: ts.TypeAliasDeclaration; file: ts.SourceFile }>();
  const visit = (file: ts.SourceFile, node: ts.Node) => {
    if (ts.isInterfaceDeclaration(node)) {
      interfaces.set(node.name.text, [...(interfaces.get(node.name.text) ?? []), { decl: node, file }]);
    }
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, { decl: node, file });
    if (ts.isModuleDeclaration(node) && node.body && ts.isModuleBlock(node.body)) {
      node.body.statements.forEach((statement) => visit(file, statement));
    }
  };
  for (const file of declaredFiles()) file.forEachChild((node) => visit(file, node));
  const isNullable = (type: ts.TypeNode | undefined, file: ts.SourceFile): boolean => {
    if (!type) return false;
    const text = type.getText(file);
    if (/\bnull\b/.test(text.split(",")[0])) return true; // ColumnType<X | null, ...> or X | null
    if (ts.isTypeReferenceNode(type)) {
      const name = type.typeName.getText(file);
      if (name === "Generated") return isNullable(type.typeArguments?.[0], file);
      const alias = aliases.get(name);
      if (alias) return isNullable(alias.decl.type, alias.file);
    }
    return false;
  };
  const columns = (name: string): DeclaredColumn[] =>
    (interfaces.get(name) ?? []).flatMap(({ decl, file }) => [
      ...(decl.heritageClauses ?? []).flatMap((h) =>
        h.types.flatMap((t) => columns(t.expression.getText(file)))
      ),
      ...decl.members.filter(ts.isPropertySignature).map((m) => ({
        name: m.name.getText(file),
        nullable: isNullable(m.type, file),
      })),
    ]);
  const tables = new Map<string, DeclaredColumn[]>();
  for (const { decl, file } of interfaces.get("Database")!) {
    for (const member of decl.members.filter(ts.isPropertySignature)) {
      tables.set(member.name.getText(file), columns(member.type!.getText(file)));
    }
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
      const isView =
        (await t.sql`select 1 from information_schema.views where table_name = ${table}`).length > 0;
      if (isView) continue; // views report every column nullable
      for (const c of actual) {
        const d = columns.find((x) => x.name === c.column_name)!;
        expect(d.nullable, `${table}.${c.column_name} nullable`).toBe(c.is_nullable === "YES");
      }
    }
  });
});
