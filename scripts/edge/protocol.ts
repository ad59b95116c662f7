/**
 * What the Edge profile's harness (in each function's process) and its supervisor (in `npm start`)
 * tell each other. Kept apart from `harness.ts`, which takes over `Deno.serve` when imported.
 */

/** The exit code that tells the supervisor a request broke the CPU limit. */
export const CPU_LIMIT_EXIT_CODE = 86;
/** The line that tells the supervisor where the function listens. */
export const LISTENING_PREFIX = "edge-profile: listening on port ";
/** Supabase's limits for one function: CPU per request and memory. */
export const SUPABASE_CPU_LIMIT_MS = 2000;
export const SUPABASE_MEMORY_MB = 256;
