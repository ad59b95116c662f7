/**
 * guardPostgresWriteRace: keeps a Deno process alive through a known postgres.js crash. When the
 * server side closes a connection while postgres.js has a small write queued with `setImmediate`,
 * the queued `nextWrite` runs after `closed()` has nulled the socket and throws
 * `TypeError: Cannot read properties of null (reading 'write')` from the timer, where no caller can
 * catch it, and the process exits (porsager/postgres#1154, #1208; denoland/deno#34667). Absorbing
 * it in a global `error` listener is not enough on Deno: the throw also leaves Deno's immediate
 * queue broken, and the process dies a moment later.
 *
 * So the guard wraps `setImmediate` and absorbs that one error inside the callback, before it
 * reaches the runtime. The query concerned was already rejected with CONNECTION_CLOSED, so the
 * orphaned write loses nothing; but the throw skipped postgres.js's reset of its write timer,
 * which wedges that connection (its later small writes are never flushed). The guard therefore
 * tells its listeners, and the process's pool is replaced (runtime.ts). Any other error is
 * rethrown unchanged.
 */

let installed = false;
const listeners = new Set<() => void>();

/** True for the orphaned-write TypeError thrown from postgres.js's `nextWrite`. */
export function isPostgresWriteRace(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const stack = error.stack ?? "";
  return /reading 'write'|evaluating 'socket\.write'/.test(error.message) &&
    /nextWrite/.test(stack) && /postgres[\\/]src[\\/]connection\.js/.test(stack);
}

/** Calls `listener` whenever the race was absorbed (a pool may now hold a wedged connection). */
export function onPostgresWriteRace(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Installs the guard once, under Deno (Node keeps its own timers untouched). */
export function guardPostgresWriteRace(): void {
  const g = globalThis as unknown as {
    Deno?: unknown;
    setImmediate?: (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
  };
  if (installed || g.Deno === undefined || typeof g.setImmediate !== "function") return;
  installed = true;
  const original = g.setImmediate;
  g.setImmediate = (callback, ...args) =>
    original((...callArgs: unknown[]) => {
      try {
        callback(...callArgs);
      } catch (error) {
        if (!isPostgresWriteRace(error)) throw error;
        console.error("database connection closed while a write was queued; replacing the pool");
        for (const listener of listeners) listener();
      }
    }, ...args);
}
