/** What the client answers, and the options it takes. */

import type { Json } from "./canonical.js";
import type { PinnedDependency, PromptContent } from "./snapshot.js";

/** Whether the client follows the forge on its own. */
export type Mode =
  /** Refresh expired specs in the background and apply live events (the default). */
  | "accepting"
  /**
   * Serve what is cached, persisted or bundled; ask the forge only for an address found
   * nowhere, and change answers only on `sync()`.
   */
  | "frozen";

/** How the client stands with the forge, as OpenFeature providers report it. */
export type State =
  /** The forge has not been asked anything yet. */
  | "not_ready"
  /** The forge answered the last request. */
  | "ready"
  /** The forge could not be reached: answers come from the cache, the disk or the bundle. */
  | "stale"
  /** The forge refused the credential (401/403): a configuration error. */
  | "error";

/** An answer that changed: what `project/set@spec` resolved to before and now. */
export interface Change {
  address: string;
  from: string;
  to: string;
  /** The new answer's checksum. */
  checksum: string;
}

/** A prompt set at the version an address resolved to. */
export interface PromptSet {
  /** `project/set`. */
  address: string;
  name: string;
  description: string;
  resolvedVersion: string;
  /** The version's checksum (`sha256:...`), verified against the content. */
  checksum: string;
  yanked: boolean;
  dependencies: readonly PinnedDependency[];
  prompts: Readonly<Record<string, PromptContent>>;
  /** Served from a stale cache entry, the disk or the fallback bundle: the forge did not confirm it. */
  isFallback: boolean;
}

/** One prompt of a resolved set. */
export interface Prompt {
  slug: string;
  content: PromptContent;
  resolvedVersion: string;
  checksum: string;
  isFallback: boolean;
}

/** What an address resolves to. */
export interface Resolution {
  /** `project/set@spec`, the default spec filled in. */
  address: string;
  resolvedVersion: string;
  checksum: string;
  yanked: boolean;
  isFallback: boolean;
}

/** A rendered prompt. */
export interface Rendered {
  text: string;
  resolvedVersion: string;
  checksum: string;
  /** Variables given that the prompt does not declare. */
  ignoredVariables: string[];
  isFallback: boolean;
  /**
   * `forge` when the forge rendered it; `local` when the forge could not be reached and the
   * SDK rendered the cached set with LiquidJS (see the README for how that may differ).
   */
  renderedBy: "forge" | "local";
}

/** One event of the forge's stream (`docs/live.md` lists the types and their payloads). */
export interface AnvilEvent {
  id: number;
  /** `version.created`, `channel.moved`, ... */
  type: string;
  organisationId: string;
  projectId: string | null;
  /** RFC 3339. */
  occurredAt: string;
  actor: { type: string; id: string | null } | null;
  /** The fields of its type (`{"channel": "production", "from": "1.0.0", "to": "1.1.0", ...}`). */
  payload: Record<string, Json>;
}

/** A `fetch` as the platform has it; tests and special networks may pass their own. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** The forge's URL (`https://forge.example.com`). */
  baseUrl: string;
  /** An API key (`ank_live_...`). */
  apiKey?: string;
  /** A project access token (`anp_live_...`): published versions of one project. */
  accessToken?: string;
  /** The spec for addresses without one (default `stable`). */
  defaultSpec?: string;
  /** How long an answer for a spec or channel is used before asking again (default 60 000 ms). Exact versions never expire. */
  cacheTtlMs?: number;
  /** How long one request may take (default 5 000 ms). */
  timeoutMs?: number;
  /** Retries after a connection error, a timeout or a 5xx (default 2; never after a 4xx). */
  retries?: number;
  /**
   * An `anvil.bundle/v1` document (the parsed object or its JSON text) or, in Node, the path of
   * a bundle file: served when the forge cannot be reached and nothing is cached for an address.
   * Verified before use.
   */
  fallbackBundle?: object | string;
  /**
   * Node only: a directory to keep the cache in (the Rust SDK's format). Every answer is
   * written there, and what an earlier run left is read at start, so a restarted application
   * renders before the forge answers, or when it never does.
   */
  persistenceDir?: string;
  /** `accepting` (the default) or `frozen`. */
  mode?: Mode;
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /** Sent as `User-Agent` where the platform allows it (Node). */
  userAgent?: string;
}
