import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { functionsFromConfig, localModules, uploadFiles } from "../../scripts/deploy-files.mjs";

const root = resolve(import.meta.dirname, "../..");
const deno = join(dirname(createRequire(import.meta.url).resolve("deno/bin.cjs")), "deno");
const config = readFileSync(join(root, "supabase/config.toml"), "utf8");

describe("what `supabase functions deploy` uploads", () => {
  it("finds every function folder in supabase/config.toml, with deno.json as its import map", () => {
    const fns = functionsFromConfig(config, join(root, "supabase"));
    expect(fns.map((f) => f.name).sort()).toEqual(functionFolders());
    for (const fn of fns) {
      expect(fn.entrypoint).toBe(join(root, "functions", fn.name, "index.ts"));
      expect(fn.importMap).toBe(join(root, "deno.json"));
    }
  });

  it("reads entrypoints relative to the supabase folder, defaults them, and skips disabled functions", () => {
    const text = `
[functions.a]
entrypoint = "../functions/a/main.ts" # a comment
import_map = "../deno.json"

[functions."b-c"]
import_map = "./import_map.json"
verify_jwt = false

[functions.off]
enabled = false
import_map = "../deno.json"

[db]
entrypoint = "not/a/function.ts"
`;
    expect(functionsFromConfig(text, "/p/supabase")).toEqual([
      { name: "a", entrypoint: "/p/functions/a/main.ts", importMap: "/p/deno.json" },
      {
        name: "b-c",
        entrypoint: "/p/supabase/functions/b-c/index.ts",
        importMap: "/p/supabase/import_map.json",
      },
    ]);
    expect(() => functionsFromConfig("[functions.x]\nverify_jwt = false\n", "/p/supabase")).toThrow(
      /import_map/,
    );
  });

  it("keeps local modules and leaves out node_modules and remote modules", () => {
    const info = {
      modules: [
        { specifier: "file:///p/functions/a/index.ts", local: "/p/functions/a/index.ts" },
        { specifier: "file:///p/shared/x.ts", local: "/p/shared/x.ts" },
        {
          specifier: "file:///p/node_modules/kysely/dist/index.js",
          local: "/p/node_modules/kysely/dist/index.js",
        },
        { specifier: "npm:/kysely@0.29.9" },
        { specifier: "node:crypto" },
        { specifier: "https://example.com/mod.ts", local: "/cache/mod.ts" },
      ],
    };
    expect(localModules(info, "/p")).toEqual(["functions/a/index.ts", "shared/x.ts"]);
    expect(() => localModules({ modules: [{ specifier: "file:///elsewhere/y.ts" }] }, "/p")).toThrow(
      /outside/,
    );
  });

  it("uploads whop-webhook's own graph and the import map, nothing from node_modules", () => {
    const fn = functionsFromConfig(config, join(root, "supabase")).find((f) => f.name === "whop-webhook")!;
    const files = uploadFiles(deno, fn, root);
    expect(files).toContain("functions/whop-webhook/index.ts");
    expect(files).toContain("functions/whop-webhook/app.ts");
    expect(files).toContain("shared/db/runtime.ts");
    expect(files).toContain("deno.json");
    expect(files.filter((f: string) => f.includes("node_modules"))).toEqual([]);
    // Another function's code is not part of this one's upload.
    expect(
      files.filter((f: string) => f.startsWith("functions/") && !f.startsWith("functions/whop-webhook/")),
    )
      .toEqual([]);
  });

  it("keeps deno.json deployable: no nodeModulesDir, every import an exact npm: version", () => {
    // "manual" makes Deno look for a node_modules the upload does not have; "auto" would make Deno
    // rewrite npm's node_modules locally. Without the key Deno uses node_modules beside
    // package.json and its own npm cache where there is none.
    const map = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
    expect(map).not.toHaveProperty("nodeModulesDir");
    for (const [name, target] of Object.entries<string>(map.imports)) {
      expect(target, name).toMatch(/^npm:\/?(@[^/]+\/)?[^@/]+@\d+\.\d+\.\d+\/?$/);
    }
  });
});

/** The folders of functions/ that `npm start` serves. */
function functionFolders(): string[] {
  return readdirSync(join(root, "functions"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("_") && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}
