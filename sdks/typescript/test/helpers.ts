// Small helpers shared by the tests.

import type { Change, FetchLike } from "@anvil/sdk";
import type { AnvilClient, Subscription, AnvilEvent } from "@anvil/sdk";

/** A fetch that remembers what went out and what came back. */
export function recordingFetch(): { fetch: FetchLike; log: { method: string; path: string; status: number }[] } {
  const log: { method: string; path: string; status: number }[] = [];
  const f: FetchLike = async (url, init) => {
    const res = await fetch(url, init);
    log.push({ method: init?.method ?? "GET", path: new URL(url).pathname, status: res.status });
    return res;
  };
  return { fetch: f, log };
}

/** Rejects after `ms` (a guard against hanging, not a deadline the behaviour is measured by). */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, fail) => {
      t = setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]);
}

/** The next change the client reports. */
export function nextChange(client: AnvilClient): Promise<Change> {
  return within(
    30_000,
    "a change",
    new Promise<Change>((ok) => {
      const stop = client.onChange((c) => {
        stop();
        ok(c);
      });
    }),
  );
}

/** The subscription's events up to and including the first of `type`. */
export async function eventsUntil(sub: Subscription, type: string): Promise<AnvilEvent[]> {
  const seen: AnvilEvent[] = [];
  while (seen.at(-1)?.type !== type) {
    const e = await within(30_000, `event ${type}`, sub.next());
    if (!e) throw new Error(`the subscription ended before ${type}: ${sub.endedBy?.message}`);
    seen.push(e);
  }
  return seen;
}
