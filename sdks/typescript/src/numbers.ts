/**
 * The forge's arithmetic for local rendering (anvil-liquid's math filters): integers stay
 * integers (floored division and modulo), float arithmetic is done in decimal so that
 * `10.1 | plus: 2.2` is `12.3`, and floats print as the forge prints them (`12.0`). JavaScript
 * has one number type, so a float is carried as a `Float` between filters; a number from the
 * variables or the template is a float when it has a fraction, or is written with a point
 * (`| times: 1.0`).
 */

import { Drop, toValue } from "liquidjs";

/** A float result, so that `12.0` keeps printing as a float. */
export class Float extends Drop {
  constructor(readonly n: number) {
    super();
  }

  override valueOf(): number {
    return this.n;
  }
}

type Num = { int: true; v: number } | { int: false; v: number };

/** What a filter call's `this` carries: the filter token, whose arguments say how they were written. */
interface FilterThis {
  token?: { args?: unknown[] };
}

function writtenAsFloat(token: unknown): boolean {
  const t = token as { getText?: () => string; kind?: number } | undefined;
  if (!t || typeof t.getText !== "function") return false;
  return /^-?[0-9]+\.[0-9]+$/.test(t.getText().trim());
}

function parseNum(s: string): Num {
  const t = s.trim();
  if (/^-?[0-9]+\.[0-9]+$/.test(t)) return { int: false, v: Number(t) };
  const m = /^[-+]?[0-9]*/.exec(t);
  const lead = m ? m[0] : "";
  if (lead === "" || lead === "-" || lead === "+") return { int: true, v: 0 };
  const n = Number(lead);
  return Number.isSafeInteger(n) ? { int: true, v: n } : { int: false, v: n };
}

/** The reference's `to_number`. */
export function toNum(v: unknown, token?: unknown): Num {
  if (v instanceof Float) return { int: false, v: v.n };
  v = toValue(v);
  if (typeof v === "number") {
    if (!Number.isInteger(v) || writtenAsFloat(token)) return { int: false, v };
    return { int: true, v };
  }
  if (typeof v === "string") return parseNum(v);
  return { int: true, v: 0 };
}

function result(n: Num): number | Float {
  return n.int && Number.isSafeInteger(n.v) ? n.v : new Float(n.v);
}

/** `mantissa × 10^-scale`: exact arithmetic on the digits an author wrote. */
interface Dec {
  m: bigint;
  scale: number;
}

function decOf(n: Num): Dec | null {
  if (n.int) return { m: BigInt(n.v), scale: 0 };
  if (!Number.isFinite(n.v)) return null;
  const [mant = "", expText = "0"] = n.v.toExponential().split("e");
  const neg = mant.startsWith("-");
  const [int = "", frac = ""] = mant.replace("-", "").split(".");
  let m = BigInt(int + frac);
  let scale = frac.length - Number(expText);
  if (scale < 0) {
    m *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (scale > 30) return null;
  return { m: neg ? -m : m, scale };
}

function decToNumber(d: Dec): number {
  const neg = d.m < 0n;
  const s = (neg ? -d.m : d.m).toString();
  let text: string;
  if (d.scale === 0) text = s;
  else if (s.length > d.scale) text = `${s.slice(0, s.length - d.scale)}.${s.slice(s.length - d.scale)}`;
  else text = `0.${"0".repeat(d.scale - s.length)}${s}`;
  const f = Number(text);
  return neg ? -f : f;
}

type Op = "add" | "sub" | "mul" | "div" | "mod";

function floatOp(op: Op, x: number, y: number): number {
  switch (op) {
    case "add":
      return x + y;
    case "sub":
      return x - y;
    case "mul":
      return x * y;
    case "div":
      return x / y;
    case "mod":
      return x - y * Math.floor(x / y);
  }
}

function apply(op: Op, a: Num, b: Num): Num {
  if (a.int && b.int) {
    if ((op === "div" || op === "mod") && b.v === 0) throw new Error("divided by 0");
    let r: number;
    if (op === "div") r = Math.floor(a.v / b.v);
    else if (op === "mod") r = b.v === -1 ? 0 : ((a.v % b.v) + b.v) % b.v;
    else r = floatOp(op, a.v, b.v);
    return Number.isSafeInteger(r) ? { int: true, v: r } : { int: false, v: floatOp(op, a.v, b.v) };
  }
  if ((op === "div" || op === "mod") && b.v === 0) throw new Error("divided by 0");
  const da = decOf(a);
  const db = decOf(b);
  if (da && db && op !== "div") {
    let d: Dec;
    if (op === "mul") {
      d = { m: da.m * db.m, scale: da.scale + db.scale };
    } else {
      const scale = Math.max(da.scale, db.scale);
      const x = da.m * 10n ** BigInt(scale - da.scale);
      const y = db.m * 10n ** BigInt(scale - db.scale);
      let m: bigint;
      if (op === "add") m = x + y;
      else if (op === "sub") m = x - y;
      else {
        const r = x % y;
        m = r !== 0n && r < 0n !== y < 0n ? r + y : r;
      }
      d = { m, scale };
    }
    if (d.scale <= 60) return { int: false, v: decToNumber(d) };
  }
  return { int: false, v: floatOp(op, a.v, b.v) };
}

function arithmetic(op: Op) {
  return function (this: FilterThis, input: unknown, arg: unknown): number | Float {
    return result(apply(op, toNum(input), toNum(arg, this?.token?.args?.[0])));
  };
}

/** Half away from zero, as Rust's `round`. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

function toInt(f: number): number | Float {
  return Number.isFinite(f) && Math.abs(f) < 9.2e18 ? f : new Float(f);
}

function round(this: FilterThis, input: unknown, digitsArg?: unknown): number | Float {
  const digits = digitsArg === undefined ? 0 : Math.trunc(toNum(digitsArg).v);
  const n = toNum(input);
  if (n.int) {
    if (digits >= 0) return n.v;
    const p = 10 ** Math.min(-digits, 300);
    return roundHalfAway(n.v / p) * p;
  }
  if (digits > 0) {
    const d = Math.min(digits, 100);
    const p = 10 ** d;
    const r = roundHalfAway(n.v * p) / p;
    return new Float(Number(r.toFixed(d)));
  }
  const p = 10 ** Math.min(-digits, 300);
  return toInt(roundHalfAway(n.v / p) * p);
}

/** The forge's arithmetic filters, by name. */
export const MATH_FILTERS: Record<string, (this: FilterThis, ...args: any[]) => unknown> = {
  plus: arithmetic("add"),
  minus: arithmetic("sub"),
  times: arithmetic("mul"),
  divided_by: arithmetic("div"),
  modulo: arithmetic("mod"),
  round,
  abs(input: unknown) {
    const n = toNum(input);
    return n.int ? Math.abs(n.v) : new Float(Math.abs(n.v));
  },
  ceil(input: unknown) {
    const n = toNum(input);
    return n.int ? n.v : toInt(Math.ceil(n.v));
  },
  floor(input: unknown) {
    const n = toNum(input);
    return n.int ? n.v : toInt(Math.floor(n.v));
  },
  at_least(this: FilterThis, input: unknown, arg: unknown) {
    const a = toNum(input);
    const b = toNum(arg, this?.token?.args?.[0]);
    return result(b.v > a.v ? b : a);
  },
  at_most(this: FilterThis, input: unknown, arg: unknown) {
    const a = toNum(input);
    const b = toNum(arg, this?.token?.args?.[0]);
    return result(b.v < a.v ? b : a);
  },
};

/** A float as the forge prints it: always with a fraction, exponent outside 1e-5..1e16. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "Infinity" : "-Infinity";
  if (f === 0) return Object.is(f, -0) ? "-0.0" : "0.0";
  const [mant = "", expText = "0"] = f.toExponential().split("e");
  const exp = Number(expText);
  if (exp >= -5 && exp < 16) {
    const plain = String(f);
    return plain.includes(".") ? plain : `${plain}.0`;
  }
  return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}
