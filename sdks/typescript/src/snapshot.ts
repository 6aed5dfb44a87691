/**
 * The content a version's checksum covers, in the exact shape the forge hashes: the forge
 * serialises its typed structs, so every field with a default is present (`description: ""`,
 * `parameters: []`, `default: null`, `metadata: {}`, ...). Content read from the wire, a bundle
 * or the disk is brought to that shape first (unknown fields are refused, as the forge refuses
 * them), then hashed.
 */

import { checksum, type Json } from "./canonical.js";

export type ParameterType = "string" | "number" | "integer" | "boolean" | "array" | "object";

export const PARAMETER_TYPES: readonly ParameterType[] = ["string", "number", "integer", "boolean", "array", "object"];

/** A declared parameter of a prompt. */
export interface Parameter {
  name: string;
  type: ParameterType;
  description: string;
  required: boolean;
  /** Used when the variable is not given; null for none. */
  default: Json;
}

/** One prompt of a set version. */
export interface PromptContent {
  name: string;
  description: string;
  template: string;
  parameters: Parameter[];
  metadata: Json;
  examples: Json;
}

/** A dependency as a version pins it: the address written and the exact label it resolved to. */
export interface PinnedDependency {
  address: string;
  resolved: string;
}

/** The version a bundle entry (or a persisted set) is at. */
export interface EntryVersion {
  label: string;
  description: string;
  created_at: string;
  checksum: string;
}

export interface EntryChannel {
  version: string;
  protected: boolean;
}

/** One set at one version, as a bundle's `prompt_sets` and the persisted cache hold it. */
export interface BundleSet {
  project: string;
  slug: string;
  name: string;
  description: string;
  version: EntryVersion;
  dependencies: PinnedDependency[];
  prompts: Record<string, PromptContent>;
  /** Project bundles only: where each channel points. */
  channels?: Record<string, EntryChannel>;
}

type Obj = Record<string, unknown>;

/** A shape problem at a path (`prompt_sets[0].prompts.welcome.colour: unknown field`). */
export class ShapeError extends Error {}

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function object(v: unknown, at: string): Obj {
  if (!isObject(v)) throw new ShapeError(`${at}: expected an object`);
  return v;
}

function onlyFields(o: Obj, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ShapeError(`${at}: unknown field \`${k}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(", ")}`);
    }
  }
}

function str(o: Obj, key: string, at: string, fallback?: string): string {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string") throw new ShapeError(`${at}.${key}: expected a string`);
  return v;
}

function bool(o: Obj, key: string, at: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new ShapeError(`${at}.${key}: expected a boolean`);
  return v;
}

function list(o: Obj, key: string, at: string): unknown[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ShapeError(`${at}.${key}: expected an array`);
  return v;
}

export function normaliseParameter(v: unknown, at: string): Parameter {
  const o = object(v, at);
  onlyFields(o, ["name", "type", "description", "required", "default"], at);
  const type = str(o, "type", at) as ParameterType;
  if (!PARAMETER_TYPES.includes(type)) {
    throw new ShapeError(`${at}.type: unknown variant \`${type}\`, expected one of ${PARAMETER_TYPES.join(", ")}`);
  }
  return {
    name: str(o, "name", at),
    type,
    description: str(o, "description", at, ""),
    required: bool(o, "required", at),
    default: (o["default"] ?? null) as Json,
  };
}

export function normalisePrompt(v: unknown, at: string): PromptContent {
  const o = object(v, at);
  onlyFields(o, ["name", "description", "template", "parameters", "metadata", "examples"], at);
  return {
    name: str(o, "name", at),
    description: str(o, "description", at, ""),
    template: str(o, "template", at),
    parameters: list(o, "parameters", at).map((p, i) => normaliseParameter(p, `${at}.parameters[${i}]`)),
    metadata: (o["metadata"] === undefined ? {} : o["metadata"]) as Json,
    examples: (o["examples"] === undefined ? {} : o["examples"]) as Json,
  };
}

export function normalisePrompts(v: unknown, at: string): Record<string, PromptContent> {
  const o = object(v, at);
  const out: Record<string, PromptContent> = {};
  for (const [slug, p] of Object.entries(o)) out[slug] = normalisePrompt(p, `${at}.${slug}`);
  return out;
}

export function normaliseDependencies(o: Obj, at: string): PinnedDependency[] {
  return list(o, "dependencies", at).map((d, i) => {
    const where = `${at}.dependencies[${i}]`;
    const dep = object(d, where);
    onlyFields(dep, ["address", "resolved"], where);
    return { address: str(dep, "address", where), resolved: str(dep, "resolved", where) };
  });
}

export function normaliseVersion(v: unknown, at: string): EntryVersion {
  const o = object(v, at);
  onlyFields(o, ["label", "description", "created_at", "checksum"], at);
  return {
    label: str(o, "label", at),
    description: str(o, "description", at, ""),
    created_at: str(o, "created_at", at),
    checksum: str(o, "checksum", at),
  };
}

/** A bundle entry (or a persisted set file) in the forge's shape. */
export function normaliseBundleSet(v: unknown, at: string): BundleSet {
  const o = object(v, at);
  onlyFields(o, ["project", "slug", "name", "description", "version", "dependencies", "prompts", "channels"], at);
  const set: BundleSet = {
    project: str(o, "project", at),
    slug: str(o, "slug", at),
    name: str(o, "name", at),
    description: str(o, "description", at, ""),
    version: normaliseVersion(o["version"], `${at}.version`),
    dependencies: normaliseDependencies(o, at),
    prompts: normalisePrompts(o["prompts"], `${at}.prompts`),
  };
  if (o["channels"] !== undefined && o["channels"] !== null) {
    const ch = object(o["channels"], `${at}.channels`);
    set.channels = {};
    for (const [name, c] of Object.entries(ch)) {
      const where = `${at}.channels.${name}`;
      const co = object(c, where);
      onlyFields(co, ["version", "protected"], where);
      set.channels[name] = { version: str(co, "version", where), protected: bool(co, "protected", where) };
    }
  }
  return set;
}

/** The checksum of a set's content: name, description, dependencies and prompts. */
export function contentChecksum(content: {
  name: string;
  description: string;
  dependencies: PinnedDependency[];
  prompts: Record<string, PromptContent>;
}): Promise<string> {
  return checksum({
    name: content.name,
    description: content.description,
    dependencies: content.dependencies,
    prompts: content.prompts,
  });
}
