/**
 * What `supabase functions deploy` uploads for each function: the functions named in
 * `supabase/config.toml`, and for each one the local files of its entrypoint's module graph plus its
 * import map. npm packages are not uploaded (Supabase fetches `npm:` specifiers itself), so nothing
 * under `node_modules` belongs to an upload. Used by `scripts/deploy-check.mjs`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * @typedef {object} FunctionEntry
 * @property {string} name the function's name (`[functions.<name>]`)
 * @property {string} entrypoint absolute path of its entry module
 * @property {string} importMap absolute path of its import map
 */

/**
 * The functions of a `supabase/config.toml`, in file order. Paths in the file are relative to the
 * folder holding it, as the Supabase CLI reads them; a function without `entrypoint` uses
 * `functions/<name>/index.ts` there. A function without `import_map` is refused: every function here
 * names `deno.json`, and the CLI's fallbacks would upload something else. Functions with
 * `enabled = false` are left out.
 *
 * Only the subset of TOML this file uses is read: `[functions.<name>]` tables holding
 * `key = "string"` or `key = true|false` lines.
 *
 * @param {string} text the file's contents
 * @param {string} supabaseDir the folder holding it
 * @returns {FunctionEntry[]}
 */
export function functionsFromConfig(text, supabaseDir) {
  /** @type {{ name: string, keys: Record<string, string | boolean> }[]} */
  const tables = [];
  let current = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const table = /^\[([^\]]+)\]$/.exec(line);
    if (table) {
      const m = /^functions\.("?)([A-Za-z0-9_-]+)\1$/.exec(table[1].trim());
      current = m ? { name: m[2], keys: {} } : null;
      if (current) tables.push(current);
      continue;
    }
    if (!current) continue;
    const pair = /^([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|(true|false))$/.exec(line);
    if (pair) current.keys[pair[1]] = pair[2] ?? pair[3] === "true";
  }
  return tables
    .filter((t) => t.keys.enabled !== false)
    .map((t) => {
      if (typeof t.keys.import_map !== "string") {
        throw new Error(`supabase/config.toml: [functions.${t.name}] names no import_map`);
      }
      const entry = typeof t.keys.entrypoint === "string"
        ? t.keys.entrypoint
        : `functions/${t.name}/index.ts`;
      return {
        name: t.name,
        entrypoint: resolve(supabaseDir, entry),
        importMap: resolve(supabaseDir, t.keys.import_map),
      };
    });
}

/**
 * The local files of `entrypoint`'s module graph as `deno info --json` reports it, relative to
 * `root`, sorted. npm packages resolved from `node_modules` and remote modules are left out: they
 * are not part of an upload. A local module outside `root` is an error (it could not be uploaded
 * with a relative path).
 *
 * @param {{ modules: { local?: string, specifier: string }[] }} info `deno info --json` output
 * @param {string} root the project root
 * @returns {string[]}
 */
export function localModules(info, root) {
  const files = new Set();
  for (const module of info.modules) {
    if (!module.specifier.startsWith("file:")) continue;
    const path = module.local ?? fileURLToPath(module.specifier);
    const rel = relative(root, path);
    if (rel.split(sep).includes("node_modules")) continue;
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new Error(`${path} is outside ${root}: the upload could not hold it`);
    }
    files.add(rel);
  }
  return [...files].sort();
}

/**
 * Runs `deno info --json` on `entrypoint` from `root` and returns the upload's files relative to
 * `root`: the graph's local modules and the import map.
 *
 * @param {string} deno path of the deno executable
 * @param {FunctionEntry} fn
 * @param {string} root
 * @returns {string[]}
 */
export function uploadFiles(deno, fn, root) {
  if (!existsSync(fn.entrypoint)) throw new Error(`${fn.name}: no entrypoint at ${fn.entrypoint}`);
  const r = spawnSync(deno, ["info", "--json", "--config", fn.importMap, fn.entrypoint], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  if (r.status !== 0) throw new Error(`${fn.name}: deno info failed:\n${r.stderr}`);
  const files = localModules(JSON.parse(r.stdout), root);
  const map = relative(root, fn.importMap);
  return files.includes(map) ? files : [...files, map].sort();
}

/** The folders from `dir` up to the file system's root. */
export function ancestors(dir) {
  const out = [];
  for (let d = resolve(dir);; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}
