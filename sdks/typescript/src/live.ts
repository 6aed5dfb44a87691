/**
 * Live updates: `GET /api/v1/events?project=` as Server-Sent Events. Every `version.*` or
 * `channel.*` event of the project makes the project's cached specs invalid and refreshes them
 * at once (in `accepting` mode), so the next render shows a channel move without polling. The
 * connection reconnects with exponential backoff and jitter, sending `Last-Event-ID`, so the
 * forge replays what was missed; after a reconnect every spec of the project is revalidated
 * too (cheap: unchanged sets answer `304`).
 */

import type { Json } from "./canonical.js";
import { AnvilError, invalidAddress, notFound, refused, unreachable } from "./errors.js";
import { errorOf, headersFor, type HttpConfig } from "./http.js";
import { AsyncQueue } from "./queue.js";
import { SseParser, type RawEvent } from "./sse.js";
import type { AnvilEvent, State } from "./types.js";

/** Events a subscriber has not read yet, beyond which newer ones are dropped (the cache still follows them). */
const BUFFER = 256;
/** Without a byte for this long (heartbeats come every 15 s) the connection is presumed dead. */
const IDLE_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

/** What a subscription needs from its client. */
export interface LiveHost {
  http: HttpConfig;
  setState(state: State): void;
  /** The project's specs may have changed: revalidate them (a no-op in `frozen` mode). */
  invalidate(project: string): void;
}

export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(250 * 2 ** Math.min(attempt, 8), MAX_BACKOFF_MS);
  return base * (0.5 + Math.random() * 0.5);
}

function toEvent(raw: RawEvent): AnvilEvent | null {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(raw.data) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof d !== "object" || d === null || typeof d["id"] !== "number" || typeof d["type"] !== "string") return null;
  const actor = d["actor"] as { type?: unknown; id?: unknown } | null | undefined;
  return {
    id: d["id"],
    type: d["type"],
    organisationId: String(d["organisation_id"] ?? ""),
    projectId: typeof d["project_id"] === "string" ? d["project_id"] : null,
    occurredAt: String(d["occurred_at"] ?? ""),
    actor:
      actor && typeof actor === "object"
        ? { type: String(actor.type ?? ""), id: typeof actor.id === "string" ? actor.id : null }
        : null,
    payload: (typeof d["payload"] === "object" && d["payload"] !== null ? d["payload"] : {}) as Record<string, Json>,
  };
}

/**
 * The events of one project, as an async iterator (`for await (const e of sub)`) or with
 * `next()`. `close()` ends it and closes the connection; it also ends by itself when the forge
 * refuses the credential (revoked, say).
 */
export class Subscription implements AsyncIterable<AnvilEvent> {
  private readonly queue: AsyncQueue<AnvilEvent>;
  private connection: AbortController | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** The id of the last event the forge sent: where a reconnect resumes. */
  lastEventId: string | undefined;
  /** Why the subscription ended by itself, if it did. */
  endedBy: AnvilError | undefined;

  /** @internal */
  constructor(
    private readonly host: LiveHost,
    readonly project: string,
    private readonly onEnd: (s: Subscription) => void,
  ) {
    this.queue = new AsyncQueue<AnvilEvent>(BUFFER, () => this.close());
  }

  /** The next event; undefined once the subscription has ended. */
  async next(): Promise<AnvilEvent | undefined> {
    const r = await this.queue.next();
    return r.done ? undefined : r.value;
  }

  [Symbol.asyncIterator](): AsyncIterator<AnvilEvent> {
    return this.queue;
  }

  get closed(): boolean {
    return this.stopped;
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.connection?.abort();
    this.wake?.();
    this.queue.close();
    this.onEnd(this);
  }

  /** @internal Opens the stream; rejects when the forge refuses or cannot be reached. */
  async open(): Promise<Response> {
    const { http } = this.host;
    const controller = new AbortController();
    this.connection = controller;
    const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), http.timeoutMs);
    const extra: Record<string, string> = { accept: "text/event-stream" };
    if (this.lastEventId !== undefined) extra["last-event-id"] = this.lastEventId;
    const what = `events of ${this.project}`;
    let res: Response;
    try {
      res = await http.fetch(`${http.baseUrl}/api/v1/events?project=${encodeURIComponent(this.project)}`, {
        headers: headersFor(http, extra),
        signal: controller.signal,
      });
    } catch (e) {
      const reason = controller.signal.aborted && !this.stopped ? "timed out" : e instanceof Error ? e.message : String(e);
      throw unreachable(http.baseUrl, reason, what, e);
    } finally {
      clearTimeout(timer);
    }
    if (res.ok && res.body) return res;
    const text = await res.text().catch(() => "");
    const { message } = errorOf(res.status, text);
    if (res.status === 404) throw notFound(what, message, 404);
    if (res.status >= 400 && res.status < 500) {
      if (res.status === 401 || res.status === 403) this.host.setState("error");
      throw refused(what, res.status, message);
    }
    throw unreachable(http.baseUrl, `HTTP ${res.status}: ${message}`, what);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((ok) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        ok();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        ok();
      };
    });
  }

  /** @internal Reads the stream, follows it in the cache, hands events on, and reconnects. */
  async follow(first: Response): Promise<void> {
    let res: Response | undefined = first;
    let attempt = 0;
    while (!this.stopped) {
      if (!res) {
        await this.pause(reconnectDelayMs(attempt));
        attempt += 1;
        if (this.stopped) return;
        try {
          res = await this.open();
          // What changed while away arrives as replayed events, but a stream that lagged or a
          // first connection that failed has nothing to replay from: revalidate either way.
          this.host.invalidate(this.project);
        } catch (e) {
          if (e instanceof AnvilError && e.code === "unreachable") {
            if (!this.stopped) this.host.setState("stale");
            continue;
          }
          // Refused: the credential is gone; the stream ends.
          this.endedBy = e instanceof AnvilError ? e : undefined;
          this.close();
          return;
        }
      }
      if (await this.read(res)) attempt = 0;
      res = undefined;
    }
  }

  /** Reads one connection until it ends, breaks or goes silent; whether anything arrived. */
  private async read(res: Response): Promise<boolean> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let got = false;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => this.connection?.abort(), IDLE_MS);
    };
    watch();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.stopped) break;
        got = true;
        watch();
        const events = parser.feed(decoder.decode(value, { stream: true }));
        if (parser.lastId !== undefined) this.lastEventId = parser.lastId;
        for (const raw of events) {
          const event = toEvent(raw);
          if (!event) continue;
          if (event.type.startsWith("version.") || event.type.startsWith("channel.")) {
            this.host.invalidate(this.project);
          }
          this.queue.push(event);
        }
      }
    } catch {
      // Broken, too long or silent: reconnect.
    } finally {
      clearTimeout(idle);
      reader.releaseLock();
      if (!this.stopped) this.connection?.abort();
    }
    return got;
  }
}

/** Why `project` cannot name a project's events, or null. */
export function projectProblem(project: string): AnvilError | null {
  if (project === "" || /[/@?&# ]/.test(project)) {
    return invalidAddress(project, "a project is named by its slug (support)");
  }
  return null;
}
