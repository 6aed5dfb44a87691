/**
 * Render variables checked against a prompt's parameters exactly as the forge checks them
 * (anvil-core `check_variables`): required ones present, types right, defaults filled in,
 * undeclared ones set aside. `null` means "not given". Every problem names its variable.
 */

import type { Json } from "./canonical.js";
import type { FieldProblem } from "./errors.js";
import type { Parameter, ParameterType } from "./snapshot.js";

export interface Checked {
  /** Every declared parameter: the value passed, its default, or null. */
  values: Record<string, Json>;
  /** Passed but not declared, sorted: ignored, so an application does not break when a channel moves back. */
  ignored: string[];
}

function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  // JSON cannot tell 3 from 3.0 once parsed: a number without a fractional part reads as an integer.
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "array";
  return "object";
}

export function accepts(type: ParameterType, v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
  }
}

function article(t: ParameterType): string {
  return t === "integer" || t === "array" || t === "object" ? "an" : "a";
}

export type CheckResult = { ok: true; checked: Checked } | { ok: false; problems: FieldProblem[] };

export function checkVariables(params: readonly Parameter[], vars: Record<string, unknown>): CheckResult {
  const problems: FieldProblem[] = [];
  // No prototype: a variable named `constructor` is just a variable.
  const values = Object.create(null) as Record<string, Json>;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(vars, k);
  for (const p of params) {
    const field = `variables.${p.name}`;
    const given = has(p.name) ? vars[p.name] : undefined;
    if (given !== undefined && given !== null) {
      if (accepts(p.type, given)) values[p.name] = given as Json;
      else problems.push({ field, message: `must be ${article(p.type)} ${p.type}, got ${jsonTypeName(given)}` });
    } else if (p.default !== null && p.default !== undefined) {
      values[p.name] = p.default;
    } else if (p.required) {
      problems.push({ field, message: "is required" });
    } else {
      values[p.name] = null;
    }
  }
  if (problems.length) return { ok: false, problems };
  const declared = new Set(params.map((p) => p.name));
  const ignored = Object.keys(vars)
    .filter((k) => !declared.has(k))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { ok: true, checked: { values, ignored } };
}
