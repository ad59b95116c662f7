/**
 * createTypedClient: a supabase-js client typed by the generated `Database`
 * (`shared/db/supabase-types.ts`, `npm run types`), for backends, scripts and the CLI's `--remote`.
 *
 * @supabase/supabase-js is pinned at 2.109.0, its last release that supports Node 20 (from
 * 2.110.0 it requires Node 22). Its realtime client still wants a WebSocket as soon as the client
 * is created, and Node 20 has none (`createClient` throws "Node.js 20 detected without native
 * WebSocket support"); where there is no global WebSocket this helper hands realtime a transport
 * that refuses to connect, so the database, functions, auth and storage clients work and only
 * realtime says what it needs. Pass `realtime: { transport: ws }` (the `ws` package) to use realtime
 * on Node 20.
 *
 * @example
 * const supabase = createTypedClient("https://<ref>.supabase.co", Deno.env.get("SERVICE_ROLE_KEY")!);
 * const { data, error } = await supabase.from("revenue_by_user").select("email, total_usd")
 *   .order("total_usd", { ascending: false }).limit(10);
 */
import { createClient, type SupabaseClient, type SupabaseClientOptions } from "@supabase/supabase-js";
import type { Database } from "../db/supabase-types.ts";

/** A supabase-js client that knows our tables, views and functions. */
export type TypedSupabaseClient = SupabaseClient<Database>;

/** Stands in for a WebSocket where the runtime has none; realtime then fails with this reason. */
class NoWebSocket {
  constructor() {
    throw new Error(
      "supabase realtime needs a WebSocket: use Node 22 or later, Deno or a browser, or pass realtime: { transport: ws }",
    );
  }
}

/**
 * A client for the project at `url` (`https://<ref>.supabase.co`, or `http://127.0.0.1:54321`
 * under `npm start`) with `key` (the anon or service role key). A backend keeps no session.
 */
export function createTypedClient(
  url: string,
  key: string,
  options: SupabaseClientOptions<"public"> = {},
): TypedSupabaseClient {
  const hasWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket !== "undefined";
  return createClient<Database>(url, key, {
    ...options,
    auth: { persistSession: false, autoRefreshToken: false, ...options.auth },
    realtime: {
      ...(hasWebSocket ? {} : { transport: NoWebSocket as unknown as typeof WebSocket }),
      ...options.realtime,
    },
  });
}
