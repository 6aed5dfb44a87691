/**
 * Sets from the forge (`GET /api/v1/resolve/{project/set@spec}`): checked to be the set asked
 * for, verified against their checksum, with the pinned dependencies their prompts may render;
 * and the same shape built from bundle entries (a fallback bundle, the disk).
 */

import { encodeAddress, parseAddress, specAccepts } from "./address.js";
import { AnvilError, checksumMismatch, notFound, refused } from "./errors.js";
import { errorOf, send, type HttpConfig } from "./http.js";
import { Loaded, promptSetOf } from "./loaded.js";
import {
  contentChecksum,
  normaliseDependencies,
  normalisePrompts,
  normaliseVersion,
  ShapeError,
  type BundleSet,
  type EntryVersion,
  type PinnedDependency,
  type PromptContent,
} from "./snapshot.js";

/** Sets one render may reach through dependencies, its own included (as on the forge). */
const MAX_SETS = 50;

/** `GET /resolve` of a set address, as the forge answers it. */
interface SetAnswer {
  slug: string;
  project: string;
  name: string;
  description: string;
  dependencies: PinnedDependency[];
  prompts: Record<string, PromptContent>;
  version: EntryVersion | null;
  resolvedVersion: string | null;
  checksum: string;
  yanked: boolean;
}

function parseAnswer(key: string, text: string): SetAnswer {
  const bad = (why: string): never => {
    throw refused(key, 200, `the answer is not a prompt set: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return bad((e as Error).message);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("not an object");
  const o = raw as Record<string, unknown>;
  for (const f of ["slug", "project", "name", "checksum"]) if (typeof o[f] !== "string") bad(`${f}: expected a string`);
  try {
    return {
      slug: o["slug"] as string,
      project: o["project"] as string,
      name: o["name"] as string,
      description: typeof o["description"] === "string" ? o["description"] : "",
      dependencies: normaliseDependencies(o, "answer"),
      prompts: normalisePrompts(o["prompts"], "prompts"),
      version: o["version"] == null ? null : normaliseVersion(o["version"], "version"),
      resolvedVersion: typeof o["resolved_version"] === "string" ? o["resolved_version"] : null,
      checksum: o["checksum"] as string,
      yanked: o["yanked"] === true,
    };
  } catch (e) {
    if (e instanceof ShapeError) return bad(e.message);
    throw e;
  }
}

/**
 * The resolved set at `key` (`project/set@spec`). With `etag`, a `304` answers null: what the
 * caller holds is current.
 */
async function resolveSet(
  http: HttpConfig,
  key: string,
  etag: string | undefined,
): Promise<{ answer: SetAnswer; etag: string | undefined } | null> {
  const res = await send(http, `/api/v1/resolve/${encodeAddress(key)}`, {
    headers: etag ? { "if-none-match": etag } : {},
  }, key);
  if (res.status === 304) return null;
  if (res.status >= 200 && res.status < 300) {
    return { answer: parseAnswer(key, res.text), etag: res.headers.get("etag") ?? undefined };
  }
  const { message } = errorOf(res.status, res.text);
  if (res.status === 404) throw notFound(key, message, 404);
  throw refused(key, res.status, message);
}

/** An answer must be the set asked for (`project/set@...`), not some other one. */
function checkNames(key: string, a: SetAnswer): void {
  const at = key.indexOf("@");
  const asked = at >= 0 ? key.slice(0, at) : key;
  if (asked !== `${a.project}/${a.slug}`) {
    throw refused(key, 200, `the forge answered ${a.project}/${a.slug} instead`);
  }
}

async function verify(key: string, a: SetAnswer): Promise<void> {
  if ((await contentChecksum(a)) !== a.checksum) throw checksumMismatch(key, a.checksum);
}

/** The answer as a bundle entry (what the disk keeps); null for the working copy. */
function entryOf(a: SetAnswer): BundleSet | null {
  if (!a.version) return null;
  return {
    project: a.project,
    slug: a.slug,
    name: a.name,
    description: a.description,
    version: a.version,
    dependencies: a.dependencies,
    prompts: a.prompts,
  };
}

function setName(address: string, key: string): string {
  try {
    const a = parseAddress(address);
    return `${a.project}/${a.set}`;
  } catch (e) {
    throw refused(key, 200, `a dependency is not an address: ${(e as Error).message}`);
  }
}

export interface Fetched {
  loaded: Loaded;
  /** The answer changed or is new: what the disk should keep. */
  entries: BundleSet[] | null;
  label: string;
}

/**
 * Fetches `key`, verifies it, and fetches its pinned dependencies (exact versions, each once).
 * `previous` is what the cache holds for the key: sent as `If-None-Match`, and kept on a 304.
 */
export async function loadSet(http: HttpConfig, key: string, previous: Loaded | undefined): Promise<Fetched> {
  const got = await resolveSet(http, key, previous?.etag);
  if (!got) {
    if (!previous) throw refused(key, 304, "not modified, but nothing is cached");
    // The forge confirmed it: no longer a fallback, if it was one.
    const loaded = previous.set.isFallback ? previous.withFallback(false) : previous;
    return { loaded, entries: null, label: loaded.set.resolvedVersion };
  }
  const { answer, etag } = got;
  checkNames(key, answer);
  const label = answer.resolvedVersion;
  const top = entryOf(answer);
  if (label === null || !top) {
    throw refused(key, 200, "the forge answered the working copy; the SDK reads published versions");
  }
  await verify(key, answer);
  const entries: BundleSet[] = [top];
  const seen = new Set([`${answer.project}/${answer.slug}`]);
  const queue = [...answer.dependencies];
  while (queue.length) {
    const dep = queue.pop()!;
    const name = setName(dep.address, key);
    if (seen.has(name)) continue;
    seen.add(name);
    if (seen.size > MAX_SETS) throw refused(key, 200, `the set reaches more than ${MAX_SETS} sets`);
    const depKey = `${name}@${dep.resolved}`;
    let d: Awaited<ReturnType<typeof resolveSet>>;
    try {
      d = await resolveSet(http, depKey, undefined);
    } catch (e) {
      // A project access token reads its own project only: a dependency in another project
      // is not for it to read. The forge still renders with it; only local rendering of a
      // prompt that renders it cannot.
      if (e instanceof AnvilError && (e.code === "not_found" || (e.code === "refused" && (e.status === 401 || e.status === 403)))) {
        continue;
      }
      throw e;
    }
    if (!d) continue;
    checkNames(depKey, d.answer);
    await verify(depKey, d.answer);
    const entry = entryOf(d.answer);
    if (entry) entries.push(entry);
    queue.push(...d.answer.dependencies);
  }
  const set = promptSetOf(top, false, answer.yanked, answer.checksum);
  return { loaded: new Loaded(set, entries, etag), entries, label };
}

function channelsOf(entry: BundleSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, c] of Object.entries(entry.channels ?? {})) out[name] = c.version;
  return out;
}

/**
 * The set `project/set` at a version `spec` accepts, from bundle entries (its channels count),
 * with the dependencies it pins that the entries hold; null when none is accepted.
 */
export function fromEntries(
  sets: readonly BundleSet[],
  project: string,
  set: string,
  spec: string,
  isFallback: boolean,
): Loaded | null {
  // A persisted cache may hold several versions of a set: the one the spec accepts.
  const entry = sets.find(
    (s) => s.project === project && s.slug === set && specAccepts(spec, s.version.label, channelsOf(s)),
  );
  if (!entry) return null;
  const entries: BundleSet[] = [entry];
  const seen = new Set([`${entry.project}/${entry.slug}`]);
  const queue = [...entry.dependencies];
  while (queue.length) {
    const dep = queue.pop()!;
    let name: string;
    try {
      const a = parseAddress(dep.address);
      name = `${a.project}/${a.set}`;
    } catch {
      return null;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    const d = sets.find((s) => `${s.project}/${s.slug}` === name && s.version.label === dep.resolved);
    // Not there: a set read with a project access token has no dependencies of other projects.
    if (!d) continue;
    entries.push(d);
    queue.push(...d.dependencies);
  }
  return new Loaded(promptSetOf(entry, isFallback), entries, undefined);
}

