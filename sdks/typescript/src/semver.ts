/**
 * Semantic versions and requirements as the forge reads them (the Rust `semver` crate, i.e.
 * Cargo's rules): enough to tell which version of a bundled or persisted set a spec accepts
 * when the forge cannot be asked, and to spell a spec the way the forge and the Rust SDK do.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers; empty for a release. */
  pre: string[];
  build: string;
}

const IDENT = /^[0-9A-Za-z-]+$/;

function numeric(part: string, what: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(part)) throw new Error(`${what} '${part}' is not a number without leading zeros`);
  const n = Number(part);
  if (!Number.isSafeInteger(n)) throw new Error(`${what} '${part}' is too large`);
  return n;
}

function parsePre(text: string): string[] {
  const ids = text.split(".");
  for (const id of ids) {
    if (!IDENT.test(id)) throw new Error(`pre-release identifier '${id}' is not valid`);
    if (/^[0-9]+$/.test(id) && id.length > 1 && id.startsWith("0")) {
      throw new Error(`pre-release identifier '${id}' has a leading zero`);
    }
  }
  return ids;
}

/** Parses `1.2.3`, `1.2.3-rc.1`, `1.2.3+build` (no leading `v`). */
export function parseVersion(text: string): Version {
  let rest = text;
  let build = "";
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    build = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
    if (build === "" || !build.split(".").every((b) => IDENT.test(b))) throw new Error(`build metadata '${build}' is not valid`);
  }
  let pre: string[] = [];
  const dash = rest.indexOf("-");
  if (dash >= 0) {
    pre = parsePre(rest.slice(dash + 1));
    rest = rest.slice(0, dash);
  }
  const parts = rest.split(".");
  if (parts.length !== 3) throw new Error(`'${text}' is not major.minor.patch`);
  return {
    major: numeric(parts[0]!, "major"),
    minor: numeric(parts[1]!, "minor"),
    patch: numeric(parts[2]!, "patch"),
    pre,
    build,
  };
}

export function formatVersion(v: Version): string {
  let s = `${v.major}.${v.minor}.${v.patch}`;
  if (v.pre.length) s += `-${v.pre.join(".")}`;
  if (v.build) s += `+${v.build}`;
  return s;
}

/** Pre-release order: a release is above any pre-release; identifiers compare one by one. */
export function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length === 0 ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    let c: number;
    if (xn && yn) c = Number(x) - Number(y);
    else if (xn) c = -1;
    else if (yn) c = 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return Math.sign(c);
  }
  return Math.sign(a.length - b.length);
}

/** Precedence order, build metadata ignored. */
export function compareVersions(a: Version, b: Version): number {
  return Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch) || comparePre(a.pre, b.pre);
}

type Op = "=" | ">" | ">=" | "<" | "<=" | "~" | "^" | "*";

interface Comparator {
  op: Op;
  major: number;
  minor: number | undefined;
  patch: number | undefined;
  pre: string[];
}

export interface Requirement {
  comparators: Comparator[];
}

const WILD = new Set(["*", "x", "X"]);

function parseComparator(raw: string): Comparator {
  const text = raw.trim();
  const m = /^(>=|<=|=|>|<|~|\^)?\s*(.*)$/.exec(text);
  if (!m || m[2] === undefined || m[2] === "") throw new Error(`'${raw}' is not a version comparator`);
  let op: Op = (m[1] as Op | undefined) ?? "^";
  let body = m[2];
  let pre: string[] = [];
  const dash = body.indexOf("-");
  if (dash >= 0) {
    pre = parsePre(body.slice(dash + 1));
    body = body.slice(0, dash);
  }
  const parts = body.split(".");
  if (parts.length > 3) throw new Error(`'${raw}' has more than three version parts`);
  const nums: (number | undefined)[] = [];
  let wildcard = false;
  for (const [i, p] of parts.entries()) {
    if (WILD.has(p)) {
      if (i === 0) throw new Error(`'${raw}': a lone wildcard takes no operator`);
      wildcard = true;
      nums.push(undefined);
    } else {
      if (wildcard) throw new Error(`'${raw}' has a number after a wildcard`);
      nums.push(numeric(p, ["major", "minor", "patch"][i] ?? "part"));
    }
  }
  if (wildcard && m[1] === undefined) op = "*";
  if (pre.length && nums.length < 3) throw new Error(`'${raw}' has a pre-release without a patch version`);
  return { op, major: nums[0] ?? 0, minor: nums[1], patch: nums[2], pre };
}

/** Parses a requirement: comparators separated by commas (`>=1.0, <2.0`), `*` alone for any. */
export function parseRequirement(text: string): Requirement {
  const t = text.trim();
  if (t === "*" || t === "x" || t === "X") return { comparators: [] };
  const parts = t.split(",");
  const comparators = parts.map((p) => {
    if (/\S\s+\S/.test(p.trim().replace(/^(>=|<=|=|>|<|~|\^)\s+/, "$1"))) {
      throw new Error(`'${p.trim()}': comparators are separated by commas`);
    }
    return parseComparator(p);
  });
  if (parts.length > 1 && parts.some((p) => WILD.has(p.trim()))) {
    throw new Error("'*' cannot be combined with other comparators");
  }
  return { comparators };
}

function formatComparator(c: Comparator): string {
  let s = (c.op === "*" ? "" : c.op) + String(c.major);
  if (c.minor !== undefined) {
    s += `.${c.minor}`;
    if (c.patch !== undefined) {
      s += `.${c.patch}`;
      if (c.pre.length) s += `-${c.pre.join(".")}`;
    } else if (c.op === "*") {
      s += ".*";
    }
  } else if (c.op === "*") {
    s += ".*";
  }
  return s;
}

/** The requirement as the forge prints it (`1.2` reads as `^1.2`). */
export function formatRequirement(r: Requirement): string {
  if (r.comparators.length === 0) return "*";
  return r.comparators.map(formatComparator).join(", ");
}

function matchesExact(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false;
  if (c.minor !== undefined && v.minor !== c.minor) return false;
  if (c.patch !== undefined && v.patch !== c.patch) return false;
  return comparePre(v.pre, c.pre) === 0;
}

function matchesGreater(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return v.major > c.major;
  if (c.minor === undefined) return false;
  if (v.minor !== c.minor) return v.minor > c.minor;
  if (c.patch === undefined) return false;
  if (v.patch !== c.patch) return v.patch > c.patch;
  return comparePre(v.pre, c.pre) > 0;
}

function matchesLess(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return v.major < c.major;
  if (c.minor === undefined) return false;
  if (v.minor !== c.minor) return v.minor < c.minor;
  if (c.patch === undefined) return false;
  if (v.patch !== c.patch) return v.patch < c.patch;
  return comparePre(v.pre, c.pre) < 0;
}

function matchesTilde(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false;
  if (c.minor !== undefined && v.minor !== c.minor) return false;
  if (c.patch !== undefined && v.patch !== c.patch) return v.patch > c.patch;
  return comparePre(v.pre, c.pre) >= 0;
}

function matchesCaret(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false;
  if (c.minor === undefined) return true;
  if (c.patch === undefined) return c.major > 0 ? v.minor >= c.minor : v.minor === c.minor;
  if (c.major > 0) {
    if (v.minor !== c.minor) return v.minor > c.minor;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (c.minor > 0) {
    if (v.minor !== c.minor) return false;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (v.minor !== c.minor || v.patch !== c.patch) {
    return false;
  }
  return comparePre(v.pre, c.pre) >= 0;
}

function matchesComparator(c: Comparator, v: Version): boolean {
  switch (c.op) {
    case "=":
    case "*":
      return matchesExact(c, v);
    case ">":
      return matchesGreater(c, v);
    case ">=":
      return matchesExact(c, v) || matchesGreater(c, v);
    case "<":
      return matchesLess(c, v);
    case "<=":
      return matchesExact(c, v) || matchesLess(c, v);
    case "~":
      return matchesTilde(c, v);
    case "^":
      return matchesCaret(c, v);
  }
}

/** Whether `v` satisfies `r`; a pre-release only when a comparator names its exact version. */
export function matches(r: Requirement, v: Version): boolean {
  if (!r.comparators.every((c) => matchesComparator(c, v))) return false;
  if (v.pre.length === 0) return true;
  return r.comparators.some(
    (c) => c.major === v.major && c.minor === v.minor && c.patch === v.patch && c.pre.length > 0,
  );
}
