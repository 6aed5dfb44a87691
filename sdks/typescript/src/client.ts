/**
 * The client: prompts by address, from the cache, the forge, the disk or the fallback bundle,
 * in that order. Rendering happens on the forge (at the exact version the cache holds, so the
 * text matches the set the client serves) and, when the forge cannot be reached, locally with
 * LiquidJS from the cached set, marked `renderedBy: "local"`.
 */

import { encodeAddress, formatSpec, isExactKey, parseAddress, parseSpec, type Address } from "./address.js";
import { readBundle } from "./bundle.js";
import { Cache } from "./cache.js";
import type { Json } from "./canonical.js";
import {
  AnvilError,
  configError,
  invalid,
  invalidAddress,
  invalidVariables,
  notFound,
  refused,
  renderError,
} from "./errors.js";
import { fromEntries, loadSet } from "./fetch.js";
import { errorOf, send, type HttpConfig } from "./http.js";
import { projectProblem, Subscription, type LiveHost } from "./live.js";
import type { Loaded } from "./loaded.js";
import { LocalEngine } from "./local.js";
import { checkVariables } from "./params.js";
import type { Store } from "./persist.js";
import { AsyncQueue } from "./queue.js";
import type { BundleSet, PromptContent } from "./snapshot.js";
import type { Change, ClientOptions, Mode, Prompt, PromptSet, Rendered, Resolution, State } from "./types.js";

export const SDK_VERSION = "0.1.0";

/** Parsed addresses kept, beyond which new ones are parsed on every call. */
const MAX_ADDRESSES = 4096;

/** An address as parsed once, with its cache key `project/set@spec`. */
interface Parsed {
  address: Address;
  key: string;
  spec: string;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A prompt of the set; only its own prompts (`constructor` is a valid slug). */
function promptOf(set: PromptSet, slug: string): PromptContent | undefined {
  return Object.prototype.hasOwnProperty.call(set.prompts, slug) ? set.prompts[slug] : undefined;
}

function missingPrompt(address: string, set: PromptSet, slug: string): AnvilError {
  return notFound(
    address,
    `${set.address}@${set.resolvedVersion} has no prompt '${slug}' (prompts: ${Object.keys(set.prompts).sort().join(", ")})`,
  );
}

/** A bundle given as a path (Node) or as JSON text. */
async function bundleText(path: string): Promise<string> {
  if (path.trimStart().startsWith("{")) return path;
  if (typeof process === "undefined" || typeof process.versions?.node !== "string") {
    throw configError(`fallback bundle ${path}: a file path needs Node; pass the bundle object instead`);
  }
  const fs = await import("node:fs/promises");
  try {
    return await fs.readFile(path, "utf8");
  } catch (e) {
    throw configError(`fallback bundle ${path}: ${describe(e)}`, e);
  }
}

export class AnvilClient {
  private readonly http: HttpConfig;
  private readonly defaultSpec: string;
  private readonly mode: Mode;
  private readonly cache: Cache;
  private readonly addresses = new Map<string, Parsed>();
  private readonly problemList: string[] = [];
  private readonly changeListeners = new Set<(c: Change) => void>();
  private readonly stateListeners = new Set<(s: State) => void>();
  /** Keys being refreshed in the background → whether to refresh again when done (an event arrived meanwhile). */
  private readonly refreshing = new Map<string, boolean>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly started: Promise<void>;
  private fallback: BundleSet[] = [];
  private store: Store | undefined;
  private current: State = "not_ready";

  /**
   * Checks the options at once; the fallback bundle and the persisted cache are read in the
   * background (`ready()` waits for them, and every call does). A bundle that does not verify
   * fails `ready()` and every call, naming what is wrong.
   */
  constructor(options: ClientOptions) {
    if (!options || typeof options.baseUrl !== "string" || options.baseUrl === "") {
      throw configError("baseUrl is required");
    }
    const baseUrl = options.baseUrl.replace(/\/+$/, "");
    if (!/^https?:\/\//.test(baseUrl)) throw configError(`baseUrl '${baseUrl}' is not an http(s) URL`);
    if (options.apiKey && options.accessToken) throw configError("give apiKey or accessToken, not both");
    const defaultSpec = options.defaultSpec ?? "stable";
    try {
      parseSpec(defaultSpec);
    } catch (e) {
      throw configError(`defaultSpec: ${describe(e)}`);
    }
    const mode = options.mode ?? "accepting";
    if (mode !== "accepting" && mode !== "frozen") throw configError(`mode '${String(mode)}' is not accepting or frozen`);
    const number = (v: number | undefined, name: string, fallback: number) => {
      if (v === undefined) return fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw configError(`${name} must be a number ≥ 0`);
      return v;
    };
    const f = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof f !== "function") throw configError("no fetch on this platform: pass options.fetch");
    this.http = {
      baseUrl,
      bearer: options.apiKey ?? options.accessToken,
      timeoutMs: number(options.timeoutMs, "timeoutMs", 5_000),
      retries: Math.floor(number(options.retries, "retries", 2)),
      fetch: f,
      userAgent: options.userAgent ?? `anvil-sdk-typescript/${SDK_VERSION}`,
    };
    this.defaultSpec = defaultSpec;
    this.mode = mode;
    this.cache = new Cache(number(options.cacheTtlMs, "cacheTtlMs", 60_000));
    this.started = this.start(options.fallbackBundle, options.persistenceDir);
    // Reported by ready() and by every call; not an unhandled rejection meanwhile.
    this.started.catch(() => undefined);
  }

  /** A client whose fallback bundle and persisted cache have been read (and verified). */
  static async create(options: ClientOptions): Promise<AnvilClient> {
    const c = new AnvilClient(options);
    await c.ready();
    return c;
  }

  /** Resolves once the fallback bundle and the persisted cache are loaded; rejects if the bundle is bad. */
  ready(): Promise<void> {
    return this.started;
  }

  private async start(bundle: object | string | undefined, dir: string | undefined): Promise<void> {
    if (bundle !== undefined) {
      const origin = typeof bundle === "string" && !bundle.trimStart().startsWith("{") ? bundle : "(given object)";
      this.fallback = await readBundle(typeof bundle === "string" ? await bundleText(bundle) : bundle, origin);
    }
    if (dir === undefined) return;
    const { Store } = await import("./persist.js");
    try {
      this.store = await Store.open(dir);
    } catch (e) {
      throw configError(`persistenceDir ${dir}: ${describe(e)}`, e);
    }
    const disk = await this.store.load();
    this.problemList.push(...disk.problems);
    for (const [key, label] of Object.entries(disk.index)) {
      let a: Address;
      try {
        a = parseAddress(key);
      } catch {
        this.problemList.push(`index entry '${key}' is not an address`);
        continue;
      }
      const loaded = fromEntries(disk.sets, a.project, a.set, label, false);
      if (!loaded) {
        this.problemList.push(`${key}: ${label} is not on disk whole`);
        continue;
      }
      // The version itself never expires, as in memory.
      this.cache.put(`${loaded.set.address}@${label}`, true, loaded);
      if (a.spec?.kind === "exact") {
        this.cache.put(key, true, loaded);
      } else {
        // Served at once, as not confirmed by the forge, and refreshed.
        this.cache.putStale(key, loaded.withFallback(true));
      }
    }
  }

  /** Persisted cache files that could not be read, verified or written, with why. */
  problems(): string[] {
    return [...this.problemList];
  }

  /** How the client stands with the forge now. */
  get state(): State {
    return this.current;
  }

  /** Calls `listener` with each new state; returns what stops it. */
  onStateChange(listener: (state: State) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Resolves when the client is in `state` (at once if it is). */
  whenState(state: State): Promise<void> {
    if (this.current === state) return Promise.resolve();
    return new Promise((ok) => {
      const stop = this.onStateChange((s) => {
        if (s === state) {
          stop();
          ok();
        }
      });
    });
  }

  /**
   * Calls `listener` with every answer that changes from here on: a refresh, a live event or
   * a sync that resolved a spec to another version. Returns what stops it.
   */
  onChange(listener: (change: Change) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The changes from here on, as an async iterator (`break` stops it). */
  changes(): AsyncIterableIterator<Change> {
    let stop: () => void = () => undefined;
    const q = new AsyncQueue<Change>(256, () => stop());
    stop = this.onChange((c) => q.push(c));
    return q;
  }

  private setState(next: State): void {
    if (this.current === next) return;
    this.current = next;
    for (const l of [...this.stateListeners]) l(next);
  }

  /**
   * The address parsed, with its cache key `project/set@spec` (the default spec when it has
   * none). Applications render the same few addresses over and over: parsed ones are kept.
   */
  private parse(address: string): Parsed {
    const held = this.addresses.get(address);
    if (held) return held;
    if (typeof address !== "string") throw invalidAddress(String(address), "must be a string");
    let a: Address;
    try {
      a = parseAddress(address);
    } catch (e) {
      throw invalidAddress(address, describe(e));
    }
    const spec = a.spec ? formatSpec(a.spec) : formatSpec(parseSpec(this.defaultSpec));
    const parsed = { address: a, key: `${a.project}/${a.set}@${spec}`, spec };
    if (this.addresses.size < MAX_ADDRESSES) this.addresses.set(address, parsed);
    return parsed;
  }

  private promptSlug(address: string, p: Parsed): string {
    if (p.address.prompt === undefined) {
      throw invalidAddress(address, "must name a prompt (project/set@spec/prompt)");
    }
    return p.address.prompt;
  }

  /** The set an address names (its prompt part ignored), at the version its spec picks. */
  async getSet(address: string): Promise<PromptSet> {
    return (await this.load(this.parse(address))).set;
  }

  /** The prompt an address names (`project/set@spec/prompt`). */
  async getPrompt(address: string): Promise<Prompt> {
    const p = this.parse(address);
    const slug = this.promptSlug(address, p);
    const { set } = await this.load(p);
    const content = promptOf(set, slug);
    if (!content) throw missingPrompt(address, set, slug);
    return { slug, content, resolvedVersion: set.resolvedVersion, checksum: set.checksum, isFallback: set.isFallback };
  }

  /** The version an address resolves to, with its checksum. */
  async resolve(address: string): Promise<Resolution> {
    const p = this.parse(address);
    const { set } = await this.load(p);
    return {
      address: p.key,
      resolvedVersion: set.resolvedVersion,
      checksum: set.checksum,
      yanked: set.yanked,
      isFallback: set.isFallback,
    };
  }

  /**
   * Renders the prompt an address names with `variables`, on the forge; when the forge cannot
   * be reached, locally from the cached set (`renderedBy: "local"`). Variables are checked
   * against the prompt's parameters either way, as the forge checks them.
   */
  async render(address: string, variables: Record<string, unknown> = {}): Promise<Rendered> {
    const p = this.parse(address);
    const slug = this.promptSlug(address, p);
    if (!isPlainObject(variables)) {
      throw invalidVariables(address, [{ field: "variables", message: "must be a JSON object" }]);
    }
    const loaded = await this.load(p);
    const { set } = loaded;
    if (!promptOf(set, slug)) throw missingPrompt(address, set, slug);
    try {
      return await this.renderOnForge(address, loaded, slug, variables);
    } catch (e) {
      if (e instanceof AnvilError && e.code === "unreachable") {
        this.setState("stale");
        return this.renderLocally(address, loaded, slug, variables);
      }
      throw e;
    }
  }

  private async renderOnForge(
    address: string,
    loaded: Loaded,
    slug: string,
    variables: Record<string, unknown>,
  ): Promise<Rendered> {
    const { set } = loaded;
    // The exact version the cache holds, so the text belongs to the set the client serves
    // (a frozen client keeps rendering its version after a channel moved).
    const exact = `${set.address}@${set.resolvedVersion}/${slug}`;
    const res = await send(
      this.http,
      `/api/v1/render/${encodeAddress(exact)}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ variables }),
        // Rendering has no side effects: worth retrying; while the forge is known to be away,
        // one attempt, so an outage does not slow every render down.
        retry: true,
        ...(this.current === "stale" ? { maxRetries: 0 } : {}),
      },
      address,
    );
    if (res.status >= 200 && res.status < 300) {
      let body: { rendered?: unknown; ignored_variables?: unknown };
      try {
        body = JSON.parse(res.text) as typeof body;
      } catch (e) {
        throw refused(address, res.status, `the answer is not a rendered prompt: ${describe(e)}`);
      }
      if (typeof body.rendered !== "string") throw refused(address, res.status, "the answer has no rendered text");
      this.setState("ready");
      return {
        text: body.rendered,
        resolvedVersion: set.resolvedVersion,
        checksum: set.checksum,
        ignoredVariables: Array.isArray(body.ignored_variables) ? body.ignored_variables.map(String) : [],
        isFallback: set.isFallback,
        renderedBy: "forge",
      };
    }
    const { message, details } = errorOf(res.status, res.text);
    if (res.status === 404) {
      // A version only the bundle or the disk knows: the forge cannot render it, the SDK can.
      if (set.isFallback) return this.renderLocally(address, loaded, slug, variables);
      throw notFound(address, message, 404);
    }
    if (res.status === 400 || res.status === 422) {
      if (details.length && details.every((d) => d.field.startsWith("variables"))) throw invalidVariables(address, details);
      const template = details.find((d) => d.field === "template");
      if (template) throw renderError(address, template.message);
      throw invalid(address, message, details, res.status);
    }
    if (res.status === 401 || res.status === 403) this.setState("error");
    throw refused(address, res.status, message);
  }

  private async renderLocally(
    address: string,
    loaded: Loaded,
    slug: string,
    variables: Record<string, unknown>,
  ): Promise<Rendered> {
    const { set } = loaded;
    const prompt = promptOf(set, slug)!;
    const checked = checkVariables(prompt.parameters, variables);
    if (!checked.ok) throw invalidVariables(address, checked.problems);
    const engine = (loaded.slot.engine ??= new LocalEngine(loaded.entries));
    let text: string;
    try {
      text = await engine.render(slug, checked.checked.values as Record<string, Json>);
    } catch (e) {
      throw renderError(address, `rendering locally (the forge cannot be reached): ${describe(e)}`, e);
    }
    return {
      text,
      resolvedVersion: set.resolvedVersion,
      checksum: set.checksum,
      ignoredVariables: checked.checked.ignored,
      isFallback: set.isFallback,
      renderedBy: "local",
    };
  }

  /**
   * Asks the forge about every spec and channel held, now (in either mode; in `frozen` mode
   * this is the only way answers change). Returns what changed.
   */
  async sync(): Promise<Change[]> {
    await this.started;
    const changed: Change[] = [];
    for (const key of this.cache.specKeys()) {
      const { change } = await this.fetch(key);
      if (change) changed.push(change);
    }
    return changed;
  }

  /**
   * Subscribes to the events of `project` (its slug). Resolves once the stream is open, so
   * nothing that happens after this call is missed. In `accepting` mode the cache follows the
   * events on its own. Reconnects by itself (with backoff, resuming from the last event id);
   * ends when the forge refuses the credential, or on `close()`.
   */
  async subscribe(project: string): Promise<Subscription> {
    const problem = projectProblem(project);
    if (problem) throw problem;
    await this.started;
    const host: LiveHost = {
      http: this.http,
      setState: (s) => this.setState(s),
      invalidate: (p) => this.invalidate(p),
    };
    const sub = new Subscription(host, project, (s) => this.subscriptions.delete(s));
    const first = await sub.open();
    this.subscriptions.add(sub);
    void sub.follow(first);
    return sub;
  }

  /** Closes every subscription (what keeps a Node process alive). */
  close(): void {
    for (const s of [...this.subscriptions]) s.close();
  }

  /** In `accepting` mode: the project's specs are invalid and refreshed now. */
  private invalidate(project: string): void {
    if (this.mode === "frozen") return;
    for (const key of this.cache.invalidateProject(project)) this.refreshInBackground(key);
  }

  /**
   * Fetches `key` from the forge into the cache (and the disk), keeping the state and telling
   * `onChange` listeners when the answer moved.
   */
  private async fetch(key: string): Promise<{ loaded: Loaded; change: Change | undefined }> {
    const before = this.cache.any(key);
    let got;
    try {
      got = await loadSet(this.http, key, before);
    } catch (e) {
      if (e instanceof AnvilError) {
        if (e.code === "unreachable") {
          this.setState("stale");
          this.cache.markFallback(key);
        } else if (e.code === "refused" && (e.status === 401 || e.status === 403)) {
          this.setState("error");
        }
      }
      throw e;
    }
    const { loaded, entries, label } = got;
    this.cache.put(key, isExactKey(key), loaded);
    if (entries) {
      this.cache.put(`${loaded.set.address}@${label}`, true, loaded);
      if (this.store) {
        try {
          await this.store.save(key, label, entries);
        } catch (e) {
          this.problemList.push(`persisting ${key}: ${describe(e)}`);
        }
      }
    }
    this.setState("ready");
    let change: Change | undefined;
    if (before && (before.set.resolvedVersion !== loaded.set.resolvedVersion || before.set.checksum !== loaded.set.checksum)) {
      change = { address: key, from: before.set.resolvedVersion, to: loaded.set.resolvedVersion, checksum: loaded.set.checksum };
      for (const l of [...this.changeListeners]) l(change);
    }
    return { loaded, change };
  }

  /** Refreshes `key` in the background, once at a time per key (asked again meanwhile: once more after). */
  private refreshInBackground(key: string): void {
    if (this.refreshing.has(key)) {
      this.refreshing.set(key, true);
      return;
    }
    this.refreshing.set(key, false);
    void (async () => {
      for (;;) {
        try {
          await this.fetch(key);
        } catch {
          // The state says the forge is away; the entry is marked as a fallback.
        }
        if (this.refreshing.get(key) === true) {
          this.refreshing.set(key, false);
        } else {
          this.refreshing.delete(key);
          return;
        }
      }
    })();
  }

  /**
   * The set for an address: from the cache (a stale entry is served and refreshed in the
   * background), else from the fallback bundle (likewise), else from the forge; when the forge
   * cannot be reached, the last answer held, marked `isFallback`, or the bundle's.
   */
  private async load(p: Parsed): Promise<Loaded> {
    await this.started;
    const { key } = p;
    const accepting = this.mode === "accepting";
    const l = this.cache.lookup(key);
    if (l.kind === "fresh") return l.loaded;
    if (l.kind === "stale") {
      if (accepting) this.refreshInBackground(key);
      return l.loaded;
    }
    const bundled = () => fromEntries(this.fallback, p.address.project, p.address.set, p.spec, true);
    if (l.kind === "missing") {
      const b = bundled();
      if (b) {
        this.cache.putStale(key, b);
        if (accepting) this.refreshInBackground(key);
        return b;
      }
    }
    try {
      return (await this.fetch(key)).loaded;
    } catch (e) {
      if (e instanceof AnvilError && e.code === "unreachable") {
        const held = this.cache.any(key);
        if (held) return held;
        const b = bundled();
        if (b) return b;
      }
      throw e;
    }
  }
}
