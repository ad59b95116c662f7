/**
 * TcpProxy: a loopback TCP proxy in front of Postgres (or anything), for outage tests. Pointing a
 * process's `DATABASE_URL` through it lets a test take the database away the way networks and
 * servers really fail, and give it back, without touching the database itself:
 *
 * - `refuse()`: the listener closes and every open connection is reset, so in-flight queries fail
 *   with ECONNRESET and new connects with ECONNREFUSED (a stopped server, a restarted pooler);
 * - `stall()`: connections are accepted but nothing is forwarded (a network partition); clients
 *   hit their own connect or query timeouts;
 * - `restore()`: the same port forwards again.
 *
 * Test support only (Node).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export type ProxyMode = "up" | "refused" | "stalled";

export interface TcpProxy {
  /** The port clients connect to. */
  port: number;
  /** `url` (a postgres:// URL) with its host and port replaced by the proxy's. */
  route(url: string): string;
  mode(): ProxyMode;
  /** Client connections open through the proxy now. */
  active(): number;
  /** Connections accepted since start (including ones refused or stalled). */
  accepted(): number;
  refuse(): Promise<void>;
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`host:port` or a postgres:// URL) on a free loopback port. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { host, port: targetPort } = parseTarget(target);
  let mode: ProxyMode = "up";
  let accepted = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket | null }>();

  const onConnection = (client: Socket) => {
    accepted++;
    const pair = { client, upstream: null as Socket | null };
    pairs.add(pair);
    client.on("error", () => {});
    client.on("close", () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (mode === "refused") return void client.resetAndDestroy();
    if (mode === "stalled") return; // accepted, never answered: the client's timeout decides
    const upstream = createConnection({ host, port: targetPort });
    pair.upstream = upstream;
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const port = await listen(0);

  const closeListener = () =>
    new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const resetAll = () => {
    for (const pair of pairs) {
      pair.upstream?.destroy();
      if (!pair.client.destroyed) pair.client.resetAndDestroy();
    }
  };

  return {
    port,
    route(url: string) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    mode: () => mode,
    active: () => pairs.size,
    accepted: () => accepted,
    async refuse() {
      mode = "refused";
      const closing = closeListener();
      resetAll();
      await closing;
    },
    stall() {
      mode = "stalled";
      resetAll();
    },
    async restore() {
      const wasRefused = mode === "refused";
      // Stalled connections never reached the database; drop them so clients reconnect.
      if (mode === "stalled") resetAll();
      mode = "up";
      if (wasRefused) {
        server = createServer(onConnection);
        await listen(port);
      }
    },
    async close() {
      mode = "refused";
      const closing = closeListener();
      resetAll();
      await closing;
    },
  };
}

function parseTarget(target: string): { host: string; port: number } {
  if (target.includes("://")) {
    const u = new URL(target);
    return { host: u.hostname, port: Number(u.port || 5432) };
  }
  const [host, port] = target.split(":");
  return { host, port: Number(port) };
}
