/**
 * The in-memory cache: answers by `project/set@spec`. Exact versions never expire; a spec or
 * channel is fresh for the TTL, then stale: still served while a refresh runs in the
 * background (stale-while-revalidate). A live event about a project makes its specs invalid:
 * the next call asks the forge before answering, so it sees the change.
 */

import type { Loaded } from "./loaded.js";

interface Entry {
  at: number;
  exact: boolean;
  /** A live event said the answer may have changed. */
  invalid: boolean;
  loaded: Loaded;
}

export type Lookup =
  | { kind: "fresh"; loaded: Loaded }
  /** Past its TTL: serve it and refresh in the background. */
  | { kind: "stale"; loaded: Loaded }
  /** Known to be out of date: ask the forge first. */
  | { kind: "invalid" }
  | { kind: "missing" };

const now = (): number => globalThis.performance.now();

export class Cache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number) {}

  lookup(key: string): Lookup {
    const e = this.entries.get(key);
    if (!e) return { kind: "missing" };
    if (e.exact) return { kind: "fresh", loaded: e.loaded };
    if (e.invalid) return { kind: "invalid" };
    if (now() - e.at < this.ttlMs) return { kind: "fresh", loaded: e.loaded };
    return { kind: "stale", loaded: e.loaded };
  }

  /** Any entry, however old. */
  any(key: string): Loaded | undefined {
    return this.entries.get(key)?.loaded;
  }

  put(key: string, exact: boolean, loaded: Loaded): void {
    this.entries.set(key, { at: now(), exact, invalid: false, loaded });
  }

  /**
   * Stores an entry that is already due for a refresh (read from disk or the fallback bundle):
   * served at once, and refreshed in the background.
   */
  putStale(key: string, loaded: Loaded): void {
    this.entries.set(key, { at: -Infinity, exact: false, invalid: false, loaded });
  }

  /**
   * Marks the entry of `key` as not confirmed by the forge (its refresh could not reach it),
   * keeping its age, so what serves it says `isFallback`.
   */
  markFallback(key: string): void {
    const e = this.entries.get(key);
    if (e && !e.loaded.set.isFallback) e.loaded = e.loaded.withFallback(true);
  }

  /** Makes every spec of `project` invalid; returns their keys. */
  invalidateProject(project: string): string[] {
    const prefix = `${project}/`;
    const keys: string[] = [];
    for (const [k, e] of this.entries) {
      if (!e.exact && k.startsWith(prefix)) {
        e.invalid = true;
        keys.push(k);
      }
    }
    return keys;
  }

  /** The keys of every spec and channel held (what a sync refreshes). */
  specKeys(): string[] {
    return [...this.entries].filter(([, e]) => !e.exact).map(([k]) => k).sort();
  }
}
