/**
 * startEdgeFunctions: every function folder under `dir` in its own process (`EdgeFunction`),
 * started side by side; resolves once all listen, or rejects naming the first that could not
 * start (after stopping the others).
 */
import { functionFolders } from "../../shared/http/local-router.ts";
import { EdgeFunction } from "./edge-function.ts";

/** Starts one `EdgeFunction` per folder of `dir` (its `index.ts`, the Supabase entry). */
export async function startEdgeFunctions(dir: URL): Promise<Map<string, EdgeFunction>> {
  const functions = new Map<string, EdgeFunction>();
  for (const name of await functionFolders(dir)) {
    functions.set(name, new EdgeFunction({ name, entry: new URL(`${name}/index.ts`, dir) }));
  }
  const started = await Promise.allSettled([...functions.values()].map((f) => f.start()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await Promise.all([...functions.values()].map((f) => f.stop()));
    throw failed.reason;
  }
  return functions;
}
