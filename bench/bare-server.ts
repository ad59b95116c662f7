/**
 * The webhook baseline: a bare Deno server that inserts each request body into one table and
 * answers 200. No routing framework, no signature check, no deduplication, no processing — the
 * floor any webhook function on this runtime and database pays.
 *
 *   DATABASE_URL=… PORT=0 deno run -A bench/bare-server.ts   # prints "bare server: http://…/"
 */
import postgres from "postgres";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.error("bare server: DATABASE_URL is not set");
  Deno.exit(1);
}
// The same pool size as the real functions' (shared/db/runtime.ts, DB_POOL_MAX).
const sql = postgres(url, { max: Number(Deno.env.get("DB_POOL_MAX") ?? 4), onnotice: () => {} });
await sql`create table if not exists bare_events (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  body jsonb not null)`;

const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 0), onListen: () => {} },
  async (request) => {
    const body = await request.text();
    await sql`insert into bare_events (body) values (${body}::text::jsonb)`;
    return Response.json({ status: "stored", id: request.headers.get("webhook-id") });
  },
);
console.log(`bare server: http://127.0.0.1:${server.addr.port}/`);

async function stop() {
  await server.shutdown();
  await sql.end();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
