/**
 * RFC 8785 (JSON Canonicalization Scheme) and the `sha256:` checksums the forge computes over
 * it, so the SDK can verify what it fetched or was handed.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Orders keys by UTF-16 code units, as RFC 8785 requires (JS string comparison already does). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function writeValue(v: unknown, out: string[]): void {
  if (v === null || v === undefined) {
    out.push("null");
  } else if (typeof v === "boolean") {
    out.push(v ? "true" : "false");
  } else if (typeof v === "number") {
    // ECMAScript's Number-to-string is exactly what JCS prescribes; non-finite numbers do not
    // exist in JSON, and the forge writes them as null too.
    out.push(Number.isFinite(v) ? JSON.stringify(v) : "null");
  } else if (typeof v === "string") {
    // JSON.stringify escapes minimally (", \, control characters), as JCS requires; lone
    // surrogates are escaped too, which UTF-8 could not carry anyway.
    out.push(JSON.stringify(v));
  } else if (Array.isArray(v)) {
    out.push("[");
    v.forEach((item, i) => {
      if (i > 0) out.push(",");
      writeValue(item, out);
    });
    out.push("]");
  } else if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => compareKeys(a[0], b[0]));
    out.push("{");
    entries.forEach(([k, val], i) => {
      if (i > 0) out.push(",");
      out.push(JSON.stringify(k), ":");
      writeValue(val, out);
    });
    out.push("}");
  } else {
    throw new TypeError(`${typeof v} has no JSON form`);
  }
}

/** The canonical text of a JSON value. */
export function toCanonical(v: unknown): string {
  const out: string[] = [];
  writeValue(v, out);
  return out.join("");
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new Error("Web Crypto (globalThis.crypto.subtle) is not available: checksums cannot be verified");
  }
  return s;
}

/** `sha256:` + lowercase hex of the SHA-256 of the canonical form. */
export async function checksum(v: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(toCanonical(v));
  const digest = new Uint8Array(await subtle().digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return `sha256:${hex}`;
}
