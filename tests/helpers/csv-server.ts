/**
 * CsvServer: a local stand-in for Google's CSV export links and any other CSV URL, behaving as
 * sources.md §4.1 describes: the export link answers 307 to the download; a sheet that is not
 * shared redirects to an HTML sign-in page served with status 200; and, on request, a 404, a 429
 * with Retry-After (once), a server that never answers, stops or breaks off mid-body, a body
 * delimited only by closing the connection, an empty body, and a
 * large CSV generated row by row and streamed chunked with backpressure. Test support only (Node).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a sheet's download answers. */
export type SheetBehaviour =
  /**
   * The CSV; `framing: "close"` sends it with neither Content-Length nor chunked encoding, the
   * body ending when the connection closes (HTTP/1.0 style), so a cut body looks complete.
   */
  | { kind: "csv"; csv: string; contentType?: string; framing?: "length" | "close" }
  /** Sends the headers (with a Content-Length) and `head`, then breaks the connection. */
  | { kind: "break-body"; head: string }
  /** Not shared: a redirect to a sign-in page served as HTML with status 200 (Google's answer). */
  | { kind: "login"; contentType?: string }
  | { kind: "status"; status: number }
  /** 429 with `Retry-After` on the first request, then the CSV. */
  | { kind: "rate-limit-once"; csv: string; retryAfter?: string }
  /** Accepts the request and never answers. */
  | { kind: "stall" }
  /** Sends the headers and `head`, then goes silent. */
  | { kind: "stall-body"; head: string }
  /** 200 text/csv with an empty body. */
  | { kind: "empty" }
  /** `rows` rows made by `row(i)` under `header`, produced only as the client reads them. */
  | { kind: "generated"; header: string[]; rows: number; row: (i: number) => string[] };

export interface CsvServer {
  base: string;
  /** The sheet's export link, as a Google export link looks (it answers 307). */
  exportUrl(id: string, gid?: number): string;
  /** Sets what the sheet `id` answers. */
  set(id: string, behaviour: SheetBehaviour): void;
  /** Every request: path and the status answered (0 when it never answered). */
  requests: { path: string; status: number }[];
  /** Rows the generated sheet has produced so far (what the client has read, plus buffers). */
  produced(): number;
  close(): Promise<void>;
}

const SIGN_IN_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Google Sheets - Sign in</title></head><body><form action="/signin">Sign in to continue to Sheets
<input type="email" name="identifier"></form></body></html>`;

/** Quotes a cell as Sheets' CSV export does: only when it holds a comma, quote or newline. */
export function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows (header first) as a CSV document with CRLF line ends, as Sheets writes it. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvCell).join(",")).join("\r\n");
}

/** Starts the server on a free loopback port. */
export async function startCsvServer(): Promise<CsvServer> {
  const sheets = new Map<string, SheetBehaviour>();
  const limited = new Set<string>();
  const requests: CsvServer["requests"] = [];
  let produced = 0;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://csv.local");
    const entry = { path: url.pathname + url.search, status: 0 };
    requests.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    const exportLink = /^\/spreadsheets\/d\/([^/]+)\/export$/.exec(url.pathname);
    if (exportLink) {
      // Google's export link answers 307 to the file (sources.md 4.1); clients must follow it.
      const gid = url.searchParams.get("gid") ?? "0";
      res.writeHead(307, { location: `/download/${exportLink[1]}/${gid}.csv` }).end();
      return;
    }
    if (url.pathname === "/ServiceLogin") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(SIGN_IN_PAGE);
      return;
    }
    const download = /^\/download\/([^/]+)\/\d+\.csv$/.exec(url.pathname);
    const behaviour = download ? sheets.get(download[1]) : undefined;
    if (!download || !behaviour) {
      res.writeHead(404, { "content-type": "text/html" }).end("<html><body>Not Found</body></html>");
      return;
    }
    serve(download[1], behaviour, req, res);
  });

  function serve(id: string, b: SheetBehaviour, req: IncomingMessage, res: ServerResponse) {
    switch (b.kind) {
      case "csv":
        if (b.framing === "close") {
          // Without this Node would frame the body with chunked encoding.
          res.useChunkedEncodingByDefault = false;
          res.writeHead(200, { "content-type": b.contentType ?? "text/csv; charset=utf-8" });
          res.write(b.csv);
          res.end();
          return;
        }
        res.writeHead(200, { "content-type": b.contentType ?? "text/csv; charset=utf-8" }).end(b.csv);
        return;
      case "break-body":
        res.writeHead(200, { "content-type": "text/csv", "content-length": String(b.head.length * 2) });
        res.write(b.head, () => res.socket?.destroy());
        return;
      case "login":
        if (b.contentType) {
          res.writeHead(200, { "content-type": b.contentType }).end(SIGN_IN_PAGE);
        } else {
          res.writeHead(302, { location: `/ServiceLogin?continue=${encodeURIComponent(req.url ?? "")}` })
            .end();
        }
        return;
      case "status":
        res.writeHead(b.status, { "content-type": "text/html" }).end(`<html><body>${b.status}</body></html>`);
        return;
      case "rate-limit-once":
        if (!limited.has(id)) {
          limited.add(id);
          res.writeHead(429, { "retry-after": b.retryAfter ?? "0", "content-type": "text/html" }).end(
            "Too Many Requests",
          );
          return;
        }
        res.writeHead(200, { "content-type": "text/csv" }).end(b.csv);
        return;
      case "stall":
        return; // never answers; the client's timeout ends it
      case "stall-body":
        res.writeHead(200, { "content-type": "text/csv" });
        res.write(b.head);
        return;
      case "empty":
        res.writeHead(200, { "content-type": "text/csv" }).end();
        return;
      case "generated":
        streamGenerated(b, res);
        return;
    }
  }

  /** Writes rows a batch at a time, waiting for `drain` whenever the socket's buffer is full. */
  function streamGenerated(b: Extract<SheetBehaviour, { kind: "generated" }>, res: ServerResponse) {
    produced = 0;
    res.writeHead(200, { "content-type": "text/csv" }); // no length: chunked transfer encoding
    res.write(b.header.map(csvCell).join(",") + "\r\n");
    const write = () => {
      while (produced < b.rows) {
        const lines: string[] = [];
        for (let n = 0; n < 200 && produced < b.rows; n++) {
          lines.push(b.row(produced++).map(csvCell).join(",") + "\r\n");
        }
        if (!res.write(lines.join(""))) {
          res.once("drain", write);
          return;
        }
      }
      res.end();
    };
    res.on("close", () => res.off("drain", write));
    write();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    exportUrl: (id, gid = 0) => `${base}/spreadsheets/d/${id}/export?format=csv&gid=${gid}`,
    set(id, behaviour) {
      sheets.set(id, behaviour);
      limited.delete(id);
    },
    requests,
    produced: () => produced,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
