/**
 * EmbeddedPostgres: PGlite served on a loopback port, so code without a `DATABASE_URL` still talks
 * to Postgres through postgres.js, exactly as it does to a server. Runs under Node (npm start,
 * tests, the CLI wrapper); edge functions never load it.
 *
 * PGlite is a single session. pglite-socket's own server interleaves clients message by message,
 * which lets one client's Bind land between another's Parse and Execute. This front instead hands
 * the session to one client per protocol batch (up to Sync or Query) and, while that client is
 * inside a transaction, to nobody else until it commits or rolls back.
 */
import { PGlite } from "@electric-sql/pglite";
import { createServer, type Server, type Socket } from "node:net";

/** A running embedded database. */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

/**
 * Opens PGlite at `dataDir` (in memory when omitted) and serves it on 127.0.0.1.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: ".data/pglite" });
 * process.env.DATABASE_URL = pg.url;
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number } = {},
): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  await db.waitReady;
  const session = new SessionLock();
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    serveClient(db, session, socket).finally(() => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await session.run(null, () => db.close());
    },
  };
}

/** Hands the one PGlite session to one client at a time, and keeps it with a client mid-transaction. */
class SessionLock {
  private owner: object | null = null;
  private tail: Promise<void> = Promise.resolve();
  private waiters: Array<() => void> = [];

  /** Runs `work` for `client` once no other client holds the session. */
  async run<T>(client: object | null, work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => (release = r));
    await previous;
    try {
      while (this.owner !== null && this.owner !== client) {
        // Another client is inside a transaction: let it keep the session.
        release();
        await new Promise<void>((r) => this.waiters.push(r));
        const again = this.tail;
        this.tail = new Promise((r) => (release = r));
        await again;
      }
      return await work();
    } finally {
      release();
    }
  }

  hold(client: object) {
    this.owner = client;
  }

  free(client: object) {
    if (this.owner !== client) return;
    this.owner = null;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}

async function serveClient(db: PGlite, session: SessionLock, socket: Socket): Promise<void> {
  const client = {};
  let buffer = Buffer.alloc(0);
  let started = false;
  let pending: Buffer[] = [];
  let chain = Promise.resolve();
  socket.setNoDelay(true);

  const execute = (batch: Buffer) =>
    session.run(client, async () => {
      await db.execProtocolRawStream(new Uint8Array(batch), {
        onRawData: (data: Uint8Array) => {
          if (socket.writable) socket.write(data);
        },
      });
      if (!db.closed && db.isInTransaction()) session.hold(client);
      else session.free(client);
    });

  const closed = new Promise<void>((resolve) => {
    socket.on("close", resolve);
    socket.on("error", () => resolve());
  });

  socket.on("data", (data: Buffer) => {
    buffer = Buffer.concat([buffer, data]);
    for (;;) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        const code = buffer.readInt32BE(4);
        if (buffer.length < length) return;
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST) {
          socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST) {
          socket.end();
          return;
        }
        started = true;
        const copy = Buffer.from(message);
        chain = chain.then(() => execute(copy)).catch(() => void socket.destroy());
        continue;
      }
      if (buffer.length < 5) return;
      const length = 1 + buffer.readInt32BE(1);
      if (buffer.length < length) return;
      const type = String.fromCharCode(buffer[0]);
      const message = Buffer.from(buffer.subarray(0, length));
      buffer = buffer.subarray(length);
      if (type === "X") {
        socket.end();
        return;
      }
      pending.push(message);
      // A batch ends where the server would answer ReadyForQuery.
      if (type === "S" || type === "Q" || type === "H" || type === "c" || type === "f") {
        const batch = Buffer.concat(pending);
        pending = [];
        chain = chain.then(() => execute(batch)).catch(() => void socket.destroy());
      }
    }
  });

  await closed;
  await chain.catch(() => {});
  // A client that vanished mid-transaction must not keep the session.
  await session.run(client, async () => {
    if (!db.closed && db.isInTransaction()) await db.exec("rollback").catch(() => {});
    session.free(client);
  });
}
