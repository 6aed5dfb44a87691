/**
 * Requests to the forge: the credential, a timeout per attempt, and retries with exponential
 * backoff and jitter after a connection error, a timeout or a 5xx, never after a 4xx (an
 * answer, not a fault). A write is never retried: it may have been applied.
 */

import { unreachable } from "./errors.js";
import type { FetchLike } from "./types.js";

export interface HttpConfig {
  baseUrl: string;
  bearer: string | undefined;
  timeoutMs: number;
  retries: number;
  fetch: FetchLike;
  userAgent: string | undefined;
}

/** 100 ms, 200 ms, ... (up to 6.4 s), each ±25%, so clients that failed together do not retry together. */
export function retryDelayMs(attempt: number): number {
  const base = 100 * 2 ** Math.min(attempt, 6);
  return base * (0.75 + Math.random() * 0.5);
}

export const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

export function headersFor(config: HttpConfig, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { accept: "application/json", ...extra };
  if (config.bearer) h["authorization"] = `Bearer ${config.bearer}`;
  // Browsers refuse to let a page set it; Node's fetch sends it.
  if (config.userAgent && typeof window === "undefined") h["user-agent"] = config.userAgent;
  return h;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === "TimeoutError") return "timed out";
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return `${e.message}: ${cause.message}`;
    return e.message;
  }
  return String(e);
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Retried on faults (reads). Defaults to true for GET. */
  retry?: boolean;
  /** Fewer retries than configured (a render while the forge is known to be away). */
  maxRetries?: number;
}

/**
 * Sends a request; answers the forge's response when it gave one that is not a fault (2xx,
 * 3xx, 4xx), and an `unreachable` error after the last retry otherwise. The body of an
 * answer is read here, inside the timeout, so a forge that stalls mid-answer counts as a fault.
 */
export async function send(
  config: HttpConfig,
  path: string,
  opts: SendOptions = {},
  address?: string,
): Promise<{ status: number; headers: Headers; text: string }> {
  const method = opts.method ?? "GET";
  const retries = (opts.retry ?? method === "GET") ? Math.min(opts.maxRetries ?? config.retries, config.retries) : 0;
  const url = `${config.baseUrl}${path}`;
  let attempt = 0;
  for (;;) {
    let fault: string;
    let cause: unknown;
    try {
      const res = await config.fetch(url, {
        method,
        headers: headersFor(config, opts.headers),
        body: opts.body,
        signal: AbortSignal.timeout(config.timeoutMs),
        redirect: "follow",
      });
      const text = await res.text();
      if (res.status < 500) return { status: res.status, headers: res.headers, text };
      fault = `HTTP ${res.status}`;
    } catch (e) {
      fault = describe(e);
      cause = e;
    }
    if (attempt >= retries) throw unreachable(config.baseUrl, fault, address, cause);
    await sleep(retryDelayMs(attempt));
    attempt += 1;
  }
}

interface ErrorBody {
  error?: { message?: unknown; details?: unknown };
}

/** The message and field details of the forge's error body (`{"error": {...}}`), or the status. */
export function errorOf(status: number, text: string): { message: string; details: { field: string; message: string }[] } {
  try {
    const b = JSON.parse(text) as ErrorBody;
    const message = typeof b.error?.message === "string" ? b.error.message : `HTTP ${status}`;
    const details = Array.isArray(b.error?.details)
      ? (b.error.details as unknown[]).flatMap((d) => {
          const o = d as { field?: unknown; message?: unknown };
          return typeof o?.field === "string" && typeof o.message === "string" ? [{ field: o.field, message: o.message }] : [];
        })
      : [];
    return { message, details };
  } catch {
    return { message: `HTTP ${status}`, details: [] };
  }
}
