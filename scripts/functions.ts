/**
 * `npm run functions`: writes each registered edge function's Supabase entry
 * (`functions/<name>/index.ts` and `app.ts`) and its `[functions.<name>]` section of
 * `supabase/config.toml` from the registry, and removes generated entries no source declares.
 * `--check` changes nothing and fails when a file is not what the registry calls for (run by
 * `npm run check`).
 */
import { functionNames } from "../shared/sources/registry.ts";

const root = new URL("../", import.meta.url);
const MARKER = "// Generated from shared/sources/registry.ts by `npm run functions`; do not edit.";
const CONFIG_MARKER =
  "# Generated from shared/sources/registry.ts by `npm run functions`; do not edit below.";

/** The files the registry calls for, by path from the repository root. */
async function expectedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const sections: string[] = [];
  for (const name of functionNames()) {
    files.set(
      `functions/${name}/app.ts`,
      `${MARKER}\nimport { createFunctionApp } from "../../shared/sources/registry.ts";\n\n` +
        `/** The \`${name}\` function's app: served alone by index.ts on Supabase, with the others by \`npm start\`. */\n` +
        `export const app = createFunctionApp(${JSON.stringify(name)});\n`,
    );
    files.set(
      `functions/${name}/index.ts`,
      `${MARKER}\nimport { app } from "./app.ts";\n\nDeno.serve(app.fetch);\n`,
    );
    // Providers sign their deliveries and schedules carry CRON_SECRET: neither has a Supabase JWT.
    sections.push(
      `[functions.${name}]\nverify_jwt = false\nentrypoint = "../functions/${name}/index.ts"\n` +
        `import_map = "../deno.json"\n`,
    );
  }
  const config = await Deno.readTextFile(new URL("supabase/config.toml", root));
  const head = config.includes(CONFIG_MARKER)
    ? config.slice(0, config.indexOf(CONFIG_MARKER))
    : `${config}\n`;
  files.set("supabase/config.toml", `${head}${CONFIG_MARKER}\n\n${sections.join("\n")}`);
  return files;
}

/** Generated function folders that no source declares any more. */
async function staleFolders(expected: Map<string, string>): Promise<string[]> {
  const stale: string[] = [];
  for await (const entry of Deno.readDir(new URL("functions/", root))) {
    if (!entry.isDirectory || expected.has(`functions/${entry.name}/app.ts`)) continue;
    const app = await Deno.readTextFile(new URL(`functions/${entry.name}/app.ts`, root)).catch(() => "");
    if (app.startsWith(MARKER)) stale.push(`functions/${entry.name}`);
  }
  return stale;
}

const check = Deno.args.includes("--check");
const expected = await expectedFiles();
const differing: string[] = [];
for (const [path, text] of expected) {
  const url = new URL(path, root);
  const current = await Deno.readTextFile(url).catch(() => null);
  if (current === text) continue;
  differing.push(path);
  if (!check) {
    await Deno.mkdir(new URL(".", url), { recursive: true });
    await Deno.writeTextFile(url, text);
  }
}
const stale = await staleFolders(expected);
if (!check) { for (const folder of stale) await Deno.remove(new URL(folder, root), { recursive: true }); }

if (check && (differing.length > 0 || stale.length > 0)) {
  console.error(
    `npm run functions: out of date (${[...differing, ...stale].join(", ")}); run \`npm run functions\``,
  );
  Deno.exit(1);
}
const changed = [...differing, ...stale.map((f) => `${f} (removed)`)];
console.log(changed.length > 0 ? `functions: wrote ${changed.join(", ")}` : "functions: up to date");
