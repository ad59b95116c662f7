/**
 * localRouter: serves every function in `functions/` under `/functions/v1/<name>`, the URL shape
 * of `supabase functions serve`, in one Deno process. Each function folder has `app.ts` (its Hono
 * app, imported here) and `index.ts` (the Supabase entry that serves that app alone).
 */
import { json } from "./error-response.ts";

/** Something with a fetch handler (a Hono app). */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Routes `/functions/v1/<name>/…` to the named app; anything else is a JSON 404. */
export function localRouter(apps: ReadonlyMap<string, FetchApp>): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const match = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return json(404, { error: "not found", reason: "functions live under /functions/v1/<name>" });
    const app = apps.get(match[1]);
    if (!app) return json(404, { error: "not found", reason: `no function named ${match[1]}` });
    // Supabase hands a function the path from its name on, e.g. /whop-webhook.
    url.pathname = `/${match[1]}${match[2] ?? ""}`;
    return await app.fetch(new Request(url, request));
  };
}

/** Imports `functions/<name>/app.ts` for every function folder under `dir`. */
export async function loadFunctionApps(dir: URL): Promise<Map<string, FetchApp>> {
  const apps = new Map<string, FetchApp>();
  for (const name of await functionFolders(dir)) {
    const module = await import(new URL(`${name}/app.ts`, dir).href);
    apps.set(name, module.app as FetchApp);
  }
  return apps;
}

/** The names of the function folders under `dir` (not `_shared` or dot folders), sorted. */
export async function functionFolders(dir: URL): Promise<string[]> {
  const deno = (globalThis as unknown as {
    Deno: { readDir(p: URL): AsyncIterable<{ name: string; isDirectory: boolean }> };
  }).Deno;
  const names: string[] = [];
  for await (const entry of deno.readDir(dir)) {
    if (entry.isDirectory && !entry.name.startsWith("_") && !entry.name.startsWith(".")) {
      names.push(entry.name);
    }
  }
  return names.sort();
}
