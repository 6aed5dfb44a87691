// A tiny HTTP proxy in front of the forge, a test double of the network: it counts requests,
// can answer some itself (a 503, a tampered body) and passes the rest through.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Answer {
  status: number;
  body: string;
}

/** What to do with a request: answer it here, or pass it on (and maybe rewrite the forge's answer). */
export interface Rules {
  answer?: (req: IncomingMessage, n: number) => Answer | undefined;
  rewrite?: (req: IncomingMessage, body: string) => string;
}

export class Proxy {
  /** Requests seen, by `METHOD path` (query left off). */
  readonly seen: string[] = [];
  /** The `Last-Event-ID` of each request for the event stream (undefined: none sent). */
  readonly lastEventIds: (string | undefined)[] = [];
  private readonly streams = new Set<import("node:http").ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string, rules: Rules = {}): Promise<Proxy> {
    let proxy: Proxy | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const n = proxy!.seen.length;
        const path = (req.url ?? "").split("?")[0]!;
        proxy!.seen.push(`${req.method} ${path}`);
        if (path.endsWith("/events")) proxy!.lastEventIds.push(req.headers["last-event-id"] as string | undefined);
        const own = rules.answer?.(req, n);
        if (own) {
          res.writeHead(own.status, { "content-type": "application/json" }).end(own.body);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host") headers[k] = v;
        try {
          const up = await fetch(`${target}${req.url}`, {
            method: req.method,
            headers,
            body: chunks.length ? Buffer.concat(chunks) : undefined,
          });
          const out: Record<string, string> = { "content-type": up.headers.get("content-type") ?? "application/json" };
          const etag = up.headers.get("etag");
          if (etag) out["etag"] = etag;
          if (rules.rewrite) {
            res.writeHead(up.status, out).end(rules.rewrite(req, await up.text()));
            return;
          }
          // Streamed as it comes: the event stream never ends by itself.
          res.writeHead(up.status, out);
          proxy!.streams.add(res);
          res.on("close", () => proxy!.streams.delete(res));
          if (up.body) {
            const reader = up.body.getReader();
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              res.write(value);
            }
          }
          res.end();
        } catch {
          if (res.headersSent) res.destroy();
          else res.writeHead(502).end();
        }
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    proxy = new Proxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** How many requests went to paths containing `part`. */
  count(part: string): number {
    return this.seen.filter((s) => s.includes(part)).length;
  }

  /** Breaks every stream passing through (a dropped connection). */
  dropStreams(): void {
    for (const s of this.streams) s.destroy();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }
}
