import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { createTypedClient } from "./typed-client.ts";

// Runs under vitest on Node (20 in CI), which has no global WebSocket.
let server: Server;
let base: string;
const seen: { url: string; apikey?: string; authorization?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({
      url: req.url ?? "",
      apikey: req.headers.apikey as string,
      authorization: req.headers.authorization,
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      req.url?.startsWith("/rest/") ? '[{"email":"ann@example.com","total_usd":12.5}]' : '{"done":true}',
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("createTypedClient", () => {
  it("creates a client on a runtime without WebSocket and reads a view with the service role key", async () => {
    const supabase = createTypedClient(base, "service-role-key");
    const { data, error } = await supabase.from("revenue_by_user").select("email, total_usd").limit(1);
    expect(error).toBeNull();
    expect(data).toEqual([{ email: "ann@example.com", total_usd: 12.5 }]);
    expect(seen.at(-1)).toMatchObject({
      url: "/rest/v1/revenue_by_user?select=email%2Ctotal_usd&limit=1",
      apikey: "service-role-key",
      authorization: "Bearer service-role-key",
    });
  });

  it("invokes a function at /functions/v1/<name> with the headers given", async () => {
    const supabase = createTypedClient(base, "anon-key");
    const { data } = await supabase.functions.invoke("whop-backfill", {
      body: {},
      headers: { Authorization: "Bearer cron" },
    });
    expect(data).toEqual({ done: true });
    expect(seen.at(-1)).toMatchObject({ url: "/functions/v1/whop-backfill", authorization: "Bearer cron" });
  });
});
