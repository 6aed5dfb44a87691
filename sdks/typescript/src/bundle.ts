/**
 * `anvil.bundle/v1` documents as a fallback: read, shape-checked and verified (the bundle's
 * checksum and every set's version checksum) before anything in them is served.
 */

import { checksum } from "./canonical.js";
import { AnvilError, configError } from "./errors.js";
import { contentChecksum, normaliseBundleSet, ShapeError, type BundleSet } from "./snapshot.js";

export const BUNDLE_FORMAT = "anvil.bundle/v1";

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The sets of a verified bundle; what is wrong with it otherwise, as a `config` error. */
export async function readBundle(raw: unknown, origin: string): Promise<BundleSet[]> {
  const fail = (why: string): never => {
    throw configError(`fallback bundle ${origin}: ${why}`);
  };
  let doc = raw;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch (e) {
      fail(`not a bundle: ${describe(e)}`);
    }
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return fail("not a bundle: not a JSON object");
  const o = doc as Record<string, unknown>;
  // The format first: a newer format's unknown fields should not be the message.
  if (o["format"] === undefined) fail("not a bundle: missing field `format`");
  if (o["format"] !== BUNDLE_FORMAT) fail(`format '${String(o["format"])}' is not supported; this SDK reads ${BUNDLE_FORMAT}`);
  const allowed = ["format", "exported_at", "source", "prompt_sets", "checksum"];
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`not a bundle: unknown field \`${k}\``);
  const source = o["source"];
  if (typeof source !== "object" || source === null || Array.isArray(source)) return fail("not a bundle: source: expected an object");
  const src = source as Record<string, unknown>;
  for (const k of Object.keys(src)) if (!["instance", "organisation", "project"].includes(k)) fail(`not a bundle: source: unknown field \`${k}\``);
  for (const k of ["instance", "organisation", "project"]) if (typeof src[k] !== "string") fail(`not a bundle: source.${k}: expected a string`);
  if (typeof o["exported_at"] !== "string") fail("not a bundle: exported_at: expected a string");
  if (typeof o["checksum"] !== "string") fail("not a bundle: checksum: expected a string");
  if (!Array.isArray(o["prompt_sets"])) fail("not a bundle: prompt_sets: expected an array");
  let sets: BundleSet[] = [];
  try {
    sets = (o["prompt_sets"] as unknown[]).map((s, i) => normaliseBundleSet(s, `prompt_sets[${i}]`));
  } catch (e) {
    if (e instanceof ShapeError) fail(`not a bundle: ${e.message}`);
    throw e;
  }
  const actual = await checksum({
    format: o["format"],
    exported_at: o["exported_at"],
    source: { instance: src["instance"], organisation: src["organisation"], project: src["project"] },
    prompt_sets: sets,
  });
  if (actual !== o["checksum"]) {
    throw new AnvilError(
      "checksum",
      `fallback bundle ${origin}: the bundle checksum does not match its content (expected ${String(o["checksum"])}, got ${actual}); nothing in it is served`,
      { address: origin, expected: String(o["checksum"]) },
    );
  }
  for (const s of sets) {
    const got = await contentChecksum(s);
    if (got !== s.version.checksum) {
      const address = `${s.project}/${s.slug}@${s.version.label}`;
      throw new AnvilError(
        "checksum",
        `fallback bundle ${origin}: ${address}: the version checksum does not match its content (expected ${s.version.checksum}, got ${got}); nothing in the bundle is served`,
        { address, expected: s.version.checksum },
      );
    }
  }
  return sets;
}
