/**
 * Addresses `[@org/]project/set[@spec][/prompt]` and version specs, read exactly as the forge
 * reads them, so the SDK's cache keys are the Rust SDK's (`project/set@spec`, the spec spelled
 * the forge's way) and a bundled set can be matched to a spec offline.
 */

import {
  compareVersions,
  formatRequirement,
  formatVersion,
  matches,
  parseRequirement,
  parseVersion,
  type Requirement,
  type Version,
} from "./semver.js";

export type VersionSpec =
  | { kind: "exact"; version: Version }
  | { kind: "req"; req: Requirement }
  | { kind: "latest" }
  | { kind: "stable" }
  | { kind: "channel"; name: string };

export interface Address {
  organisation: string | undefined;
  project: string;
  set: string;
  spec: VersionSpec | undefined;
  prompt: string | undefined;
}

const MAX_ADDRESS_LEN = 512;
const MAX_SLUG_LEN = 64;
const MAX_LABEL_LEN = 64;

/** Why a slug is not valid, or null. */
export function slugProblem(s: string): string | null {
  if (s === "") return "must not be empty";
  if (s.length > MAX_SLUG_LEN) return `must be at most ${MAX_SLUG_LEN} characters`;
  if (!/^[a-z0-9]/.test(s)) return "must start with a lowercase letter or a digit";
  const bad = /[^a-z0-9._-]/.exec(s);
  if (bad) return `may contain only lowercase letters, digits, '-', '_' and '.', not '${bad[0]}'`;
  return null;
}

/** A version label: semver, a leading `v` dropped. */
export function parseLabel(text: string): Version {
  const t = text.trim();
  if (t.length > MAX_LABEL_LEN) throw new Error(`must be at most ${MAX_LABEL_LEN} characters`);
  return parseVersion(t.startsWith("v") ? t.slice(1) : t);
}

function looksLikeVersion(s: string): boolean {
  return /^[0-9]/.test(s) || /^v[0-9]/.test(s) || /^[\^~<>=*]/.test(s);
}

/** Parses a spec: `latest`, `stable`, an exact version, a requirement, or a channel name. */
export function parseSpec(text: string): VersionSpec {
  const t = text.trim();
  if (t === "") throw new Error("the version spec is empty");
  if (t === "latest") return { kind: "latest" };
  if (t === "stable") return { kind: "stable" };
  try {
    return { kind: "exact", version: parseLabel(t) };
  } catch {
    // Not an exact version: a requirement or a channel.
  }
  if (looksLikeVersion(t) || /[, ]/.test(t)) {
    const reqText = t.startsWith("v") ? t.slice(1) : t;
    try {
      return { kind: "req", req: parseRequirement(reqText) };
    } catch (e) {
      throw new Error(`'${t}' is not a valid version or range: ${(e as Error).message}`);
    }
  }
  const problem = slugProblem(t);
  if (problem) throw new Error(`channel name ${problem}`);
  return { kind: "channel", name: t };
}

/** The spec as the forge spells it. */
export function formatSpec(spec: VersionSpec): string {
  switch (spec.kind) {
    case "exact":
      return formatVersion(spec.version);
    case "req":
      return formatRequirement(spec.req);
    case "latest":
      return "latest";
    case "stable":
      return "stable";
    case "channel":
      return spec.name;
  }
}

export function parseAddress(s: string): Address {
  const fail = (part: string, reason: string): never => {
    throw new Error(`invalid address '${[...s].slice(0, 80).join("")}': ${part} ${reason}`);
  };
  if (s.length > MAX_ADDRESS_LEN) fail("address", `is longer than ${MAX_ADDRESS_LEN} characters`);
  let organisation: string | undefined;
  let rest = s;
  if (s.startsWith("@")) {
    const slash = s.indexOf("/");
    if (slash < 0) fail("address", "needs a project after the organisation");
    organisation = s.slice(1, slash);
    rest = s.slice(slash + 1);
  }
  const slash = rest.indexOf("/");
  if (slash < 0) fail("address", "must be project/prompt_set[@spec][/prompt]");
  const project = rest.slice(0, slash);
  rest = rest.slice(slash + 1);
  let set: string;
  let specText: string | undefined;
  let prompt: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    set = rest.slice(0, at);
    const after = rest.slice(at + 1);
    const ps = after.indexOf("/");
    if (ps >= 0) {
      specText = after.slice(0, ps);
      prompt = after.slice(ps + 1);
    } else {
      specText = after;
    }
  } else {
    const ps = rest.indexOf("/");
    if (ps >= 0) {
      set = rest.slice(0, ps);
      prompt = rest.slice(ps + 1);
    } else {
      set = rest;
    }
  }
  const check = (part: string, v: string) => {
    const p = slugProblem(v);
    if (p) fail(part, p);
  };
  if (organisation !== undefined) check("organisation", organisation);
  check("project", project);
  check("prompt set", set);
  if (prompt !== undefined) check("prompt", prompt);
  let spec: VersionSpec | undefined;
  if (specText !== undefined) {
    try {
      spec = parseSpec(specText);
    } catch (e) {
      fail("version spec", (e as Error).message);
    }
  }
  return { organisation, project, set, spec, prompt };
}

/** Characters an address may not carry raw in a URL path. */
export function encodeAddress(address: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(address)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~@^*/=+:]/.test(c) && b < 0x80 ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function isExactKey(key: string): boolean {
  const at = key.lastIndexOf("@");
  if (at < 0) return false;
  try {
    return parseSpec(key.slice(at + 1)).kind === "exact";
  } catch {
    return false;
  }
}

/**
 * Whether `spec` picks a set at `label` whose channels are `channels`, when that is the only
 * version known (a bundle entry, a persisted set).
 */
export function specAccepts(spec: string, label: string, channels: Record<string, string>): boolean {
  let s: VersionSpec;
  let v: Version;
  try {
    s = parseSpec(spec);
    v = parseLabel(label);
  } catch {
    return false;
  }
  switch (s.kind) {
    case "exact":
      return compareVersions(s.version, v) === 0;
    case "req":
      return matches(s.req, v);
    case "latest":
      return true;
    case "stable":
      return v.pre.length === 0;
    case "channel": {
      const target = channels[s.name];
      if (target === undefined) return false;
      try {
        return compareVersions(parseLabel(target), v) === 0;
      } catch {
        return false;
      }
    }
  }
}
