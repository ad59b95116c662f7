/**
 * renderSupabaseTypes: TypeScript `Database` types for supabase-js, in the shape
 * `supabase gen types typescript` writes (Database → public → Tables / Views / Functions / Enums /
 * CompositeTypes, each table with Row, Insert, Update and Relationships), read from a migrated
 * schema's catalog. `scripts/supabase-types.ts` (`npm run types`) runs it.
 *
 * It maps types as postgres-meta (the CLI's generator) does: numeric is `number` (PostgREST sends
 * it as a JSON number), jsonb is `Json`, times and uuids are `string`. A view's columns are all
 * nullable and a view without INSERT and UPDATE has only Row. Written one line per Row, Insert and
 * Update rather than one per column, so the file stays short.
 */
import type postgres from "postgres";

interface ColumnInfo {
  relname: string;
  relkind: string;
  attname: string;
  typname: string;
  elem: string | null;
  notnull: boolean;
  hasdefault: boolean;
  identity: string;
  generated: string;
  updatable: boolean;
}

interface ForeignKey {
  conname: string;
  relname: string;
  columns: string[];
  refname: string;
  refcolumns: string[];
  one_to_one: boolean;
}

interface FunctionInfo {
  proname: string;
  argnames: string[] | null;
  argtypes: string[];
  ndefaults: number;
  returns: string;
  retset: boolean;
}

const NUMBER = new Set(["int2", "int4", "int8", "float4", "float8", "numeric", "oid"]);
const STRING = new Set([
  "text",
  "varchar",
  "bpchar",
  "uuid",
  "date",
  "time",
  "timetz",
  "timestamp",
  "timestamptz",
  "interval",
  "bytea",
  "inet",
  "cidr",
  "citext",
  "name",
  "char",
  "regclass",
  "tsvector",
]); // deno-fmt-ignore

/** The TypeScript type of a Postgres type, by its `pg_type.typname`. */
export function tsType(typname: string, elem: string | null = null): string {
  if (elem !== null) return `${tsType(elem)}[]`;
  if (typname === "bool") return "boolean";
  if (NUMBER.has(typname)) return "number";
  if (typname === "json" || typname === "jsonb") return "Json";
  if (STRING.has(typname)) return "string";
  if (typname === "void") return "undefined";
  if (typname === "record") return "Record<string, unknown>";
  return "unknown";
}

/** Reads the `public` schema of the database behind `sql` and renders the module's text. */
export async function renderSupabaseTypes(sql: postgres.Sql): Promise<string> {
  const columns = await sql<ColumnInfo[]>`
    select c.relname, c.relkind, a.attname, t.typname, et.typname as elem, a.attnotnull as notnull,
           a.atthasdef as hasdefault, a.attidentity as identity, a.attgenerated as generated,
           (pg_relation_is_updatable(c.oid, false) & 12) = 12 as updatable
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_type t on t.oid = a.atttypid
      left join pg_type et on et.oid = t.typelem and t.typcategory = 'A'
     where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm')
     order by c.relname, a.attname`;
  const keys = await sql<ForeignKey[]>`
    select k.conname, c.relname, r.relname as refname,
           array(select attname from pg_attribute where attrelid = k.conrelid and attnum = any(k.conkey)
                  order by array_position(k.conkey, attnum)) as columns,
           array(select attname from pg_attribute where attrelid = k.confrelid and attnum = any(k.confkey)
                  order by array_position(k.confkey, attnum)) as refcolumns,
           exists (select 1 from pg_index i where i.indrelid = k.conrelid and i.indisunique
                    and i.indkey::int2[] @> k.conkey and i.indkey::int2[] <@ k.conkey) as one_to_one
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid
      join pg_class r on r.oid = k.confrelid
      join pg_namespace n on n.oid = c.relnamespace
     where k.contype = 'f' and n.nspname = 'public'
     order by c.relname, k.conname`;
  // Trigger functions cannot be called through the API; the CLI leaves them out too.
  const functions = await sql<FunctionInfo[]>`
    select p.proname, p.proargnames as argnames, p.pronargdefaults as ndefaults, p.proretset as retset,
           array(select t.typname from unnest(p.proargtypes::oid[]) with ordinality as a(oid, n)
                   join pg_type t on t.oid = a.oid order by a.n) as argtypes,
           rt.typname as returns
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_type rt on rt.oid = p.prorettype
     where n.nspname = 'public' and p.prokind = 'f' and rt.typname not in ('trigger', 'event_trigger')
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
     order by p.proname, p.oid`;

  const relations = new Map<string, ColumnInfo[]>();
  for (const c of columns) relations.set(c.relname, [...(relations.get(c.relname) ?? []), c]);
  const tables: string[] = [];
  const views: string[] = [];
  for (const [name, cols] of relations) {
    const isTable = cols[0].relkind === "r" || cols[0].relkind === "p";
    const lines = [`      ${name}: {`, `        Row: ${row(cols, isTable)}`];
    if (isTable || cols[0].updatable) {
      lines.push(`        Insert: ${insert(cols, isTable)}`, `        Update: ${update(cols, isTable)}`);
    }
    lines.push(`        Relationships: ${relationships(keys.filter((k) => k.relname === name))}`, `      }`);
    (isTable ? tables : views).push(...lines);
  }
  return template(tables, views, renderFunctions(functions));
}

const nullable = (c: ColumnInfo, isTable: boolean) => !isTable || !c.notnull;
const typeOf = (c: ColumnInfo, isTable: boolean) =>
  `${tsType(c.typname, c.elem)}${nullable(c, isTable) ? " | null" : ""}`;

function row(cols: ColumnInfo[], isTable: boolean): string {
  return `{ ${cols.map((c) => `${c.attname}: ${typeOf(c, isTable)}`).join("; ")} }`;
}

function insert(cols: ColumnInfo[], isTable: boolean): string {
  return `{ ${
    cols.map((c) => {
      if (c.generated === "s" || c.identity === "a") return `${c.attname}?: never`;
      const optional = nullable(c, isTable) || c.hasdefault || c.identity !== "";
      return `${c.attname}${optional ? "?" : ""}: ${typeOf(c, isTable)}`;
    }).join("; ")
  } }`;
}

function update(cols: ColumnInfo[], isTable: boolean): string {
  return `{ ${
    cols.map((c) =>
      c.generated === "s" || c.identity === "a"
        ? `${c.attname}?: never`
        : `${c.attname}?: ${typeOf(c, isTable)}`
    ).join("; ")
  } }`;
}

function relationships(keys: ForeignKey[]): string {
  if (keys.length === 0) return "[]";
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  return `[\n${
    keys.map((k) =>
      `          { foreignKeyName: ${JSON.stringify(k.conname)}; columns: ${
        list(k.columns)
      }; isOneToOne: ${k.one_to_one}; ` +
      `referencedRelation: ${JSON.stringify(k.refname)}; referencedColumns: ${list(k.refcolumns)} },\n`
    ).join("")
  }        ]`;
}

function renderFunctions(functions: FunctionInfo[]): string[] {
  const byName = new Map<string, string[]>();
  for (const f of functions) {
    const required = f.argtypes.length - f.ndefaults;
    const args = f.argtypes.length === 0
      ? "never"
      : `{ ${
        f.argtypes.map((t, i) => `${f.argnames?.[i] || `arg${i}`}${i >= required ? "?" : ""}: ${tsType(t)}`)
          .join("; ")
      } }`;
    const returns = `${tsType(f.returns)}${f.retset ? "[]" : ""}`;
    byName.set(f.proname, [...(byName.get(f.proname) ?? []), `{ Args: ${args}; Returns: ${returns} }`]);
  }
  return [...byName].map(([name, overloads]) => `      ${name}: ${overloads.join(" | ")}`);
}

const none = "{\n      [_ in never]: never\n    }";
const section = (lines: string[]) => (lines.length ? `{\n${lines.join("\n")}\n    }` : none);

function template(tables: string[], views: string[], functions: string[]): string {
  return `// Generated by \`npm run types\` from the migrated schema, in the shape \`supabase gen types typescript\`
// writes; do not edit. \`npm run check\` fails when it is not current.
export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  // Allows to automatically instantiate createClient with right options
  // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)
  __InternalSupabase: {
    PostgrestVersion: "12"
  }
  public: {
    Tables: ${section(tables)}
    Views: ${section(views)}
    Functions: ${section(functions)}
    Enums: ${none}
    CompositeTypes: ${none}
  }
}

type DefaultSchema = Database["public"]

/** A row of a table or view: \`Tables<"users">\`. */
export type Tables<Name extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])> =
  (DefaultSchema["Tables"] & DefaultSchema["Views"])[Name] extends { Row: infer R } ? R : never

/** What an insert into a table takes: \`TablesInsert<"sheet_sources">\`. */
export type TablesInsert<Name extends keyof DefaultSchema["Tables"]> =
  DefaultSchema["Tables"][Name] extends { Insert: infer I } ? I : never

/** What an update of a table takes. */
export type TablesUpdate<Name extends keyof DefaultSchema["Tables"]> =
  DefaultSchema["Tables"][Name] extends { Update: infer U } ? U : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const
`;
}
