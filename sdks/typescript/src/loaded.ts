/**
 * A set as the cache keeps it: the answer the application sees, the set and its pinned
 * dependencies as bundle entries (what local rendering and the disk need), and the forge's
 * entity tag for a conditional refresh.
 */

import type { LocalEngine } from "./local.js";
import type { BundleSet } from "./snapshot.js";
import type { PromptSet } from "./types.js";

/** Built once per loaded set, on the first local render, and shared by its copies. */
export interface EngineSlot {
  engine?: LocalEngine;
}

export class Loaded {
  constructor(
    readonly set: PromptSet,
    /** The set first, then every set its prompts may render. */
    readonly entries: readonly BundleSet[],
    readonly etag: string | undefined,
    readonly slot: EngineSlot = {},
  ) {}

  withFallback(isFallback: boolean): Loaded {
    return new Loaded(Object.freeze({ ...this.set, isFallback }), this.entries, this.etag, this.slot);
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** The application's view of a bundle entry; frozen, since the cache shares it. */
export function promptSetOf(entry: BundleSet, isFallback: boolean, yanked = false, checksum = entry.version.checksum): PromptSet {
  return Object.freeze({
    address: `${entry.project}/${entry.slug}`,
    name: entry.name,
    description: entry.description,
    resolvedVersion: entry.version.label,
    checksum,
    yanked,
    dependencies: deepFreeze(entry.dependencies),
    prompts: deepFreeze(entry.prompts),
    isFallback,
  });
}
