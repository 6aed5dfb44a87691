// When the forge is away: a fallback bundle serves (verified first), a cached set renders
// locally, and a persisted cache directory lets a restarted application render with no forge.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { AnvilClient, AnvilError } from "@anvil/sdk";

import { Forge, nowhere } from "./forge.js";

let forge: Forge;
let scratch: string;

before(async () => {
  forge = await Forge.start();
  scratch = mkdtempSync(join(tmpdir(), "anvil-sdk-ts-files-"));
});

after(async () => {
  await forge.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test("a fallback bundle serves, rendered locally, when the forge never answers", async () => {
  const bundle = await forge.projectBundle();
  const path = join(scratch, "prompts.bundle.json");
  writeFileSync(path, JSON.stringify(bundle));
  const vars = { customer_name: "ada", team: "Ops" };
  const expected = (await forge.forgeRender("support/emails@production/welcome", vars)).text;

  const url = await nowhere();
  for (const fallbackBundle of [path, bundle]) {
    const offline = await AnvilClient.create({ baseUrl: url, apiKey: forge.seeded.key, defaultSpec: "production", retries: 1, fallbackBundle });
    const r = await offline.render("support/emails/welcome", vars);
    assert.equal(r.text, expected, "the bundle renders what the forge renders");
    assert.equal(r.isFallback, true);
    assert.equal(r.renderedBy, "local");
    assert.equal(r.resolvedVersion, "1.0.0");
    assert.equal(offline.state, "stale");
    const set = await offline.getSet("support/emails@^1.0");
    assert.equal(set.isFallback, true);
    // A spec the bundle cannot meet is not served from it: the error says where it tried.
    const e = await offline.getSet("support/emails@^2.0").catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "unreachable" && e.url === url, String(e));
  }
});

test("a tampered or malformed bundle is refused, clearly, before anything in it is served", async () => {
  const bundle = await forge.projectBundle();
  const tampered = structuredClone(bundle);
  tampered.prompt_sets.find((s: any) => s.slug === "emails").prompts.footer.template = "-- Mallory";
  const url = await nowhere();
  const e = await AnvilClient.create({ baseUrl: url, fallbackBundle: tampered }).catch((x: unknown) => x);
  assert.ok(e instanceof AnvilError && e.code === "checksum", String(e));
  assert.match(e.message, /fallback bundle \(given object\): the bundle checksum does not match its content/);

  // The bundle checksum recomputed, the set's own checksum still catches the change.
  const resealed = structuredClone(tampered);
  const { checksum } = await import("@anvil/sdk");
  const { checksum: _, ...rest } = resealed;
  // An export already has the shape the forge hashes.
  resealed.checksum = await checksum(rest);
  const client = new AnvilClient({ baseUrl: url, fallbackBundle: resealed });
  const e2 = await client.render("support/emails@1.0.0/footer", {}).catch((x: unknown) => x);
  assert.ok(e2 instanceof AnvilError && e2.code === "checksum", String(e2));
  assert.match(e2.message, /support\/emails@1\.0\.0: the version checksum does not match its content/);

  const newer = { ...bundle, format: "anvil.bundle/v2" };
  const e3 = await AnvilClient.create({ baseUrl: url, fallbackBundle: newer }).catch((x: unknown) => x);
  assert.ok(e3 instanceof AnvilError && e3.code === "config" && /format 'anvil.bundle\/v2' is not supported/.test(e3.message), String(e3));
  const unknown = structuredClone(bundle);
  unknown.prompt_sets[0].colour = "red";
  const e4 = await AnvilClient.create({ baseUrl: url, fallbackBundle: unknown }).catch((x: unknown) => x);
  assert.ok(e4 instanceof AnvilError && /colour/.test(e4.message), String(e4));
  const e5 = await AnvilClient.create({ baseUrl: url, fallbackBundle: join(scratch, "missing.json") }).catch((x: unknown) => x);
  assert.ok(e5 instanceof AnvilError && e5.code === "config" && /missing\.json/.test(e5.message), String(e5));
});

test("a cached set renders locally when the forge goes down mid-run, and a stale channel says so", async () => {
  const own = await Forge.start();
  try {
    const anvil = new AnvilClient({ baseUrl: own.url, apiKey: own.seeded.key, cacheTtlMs: 0, retries: 0, timeoutMs: 1000 });
    const vars = { customer_name: "ada" };
    const exact = await anvil.render("support/emails@1.0.0/welcome", vars);
    const byChannel = await anvil.render("support/emails@production/welcome", vars);
    assert.equal(exact.renderedBy, "forge");
    await own.kill();

    const again = await anvil.render("support/emails@1.0.0/welcome", vars);
    assert.equal(again.renderedBy, "local");
    assert.equal(again.text, exact.text);
    assert.equal(again.isFallback, false, "an exact version held is the real thing");
    assert.equal(anvil.state, "stale");

    // The channel past its TTL is served at once; its refresh cannot reach the forge, so
    // from then on the answer is marked as a fallback.
    const first = await anvil.render("support/emails@production/welcome", vars);
    assert.equal(first.text, byChannel.text);
    await new Promise((r) => setTimeout(r, 200));
    const stale = await anvil.render("support/emails@production/welcome", vars);
    assert.equal(stale.text, byChannel.text);
    assert.equal(stale.isFallback, true);
    assert.equal(stale.renderedBy, "local");

    // Still checked as the forge checks them.
    const e = await anvil.render("support/emails@1.0.0/welcome", { customer_name: 7 }).catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "invalid_variables", String(e));
    // Never fetched and the forge is gone: the error says where it tried.
    const never = await anvil.render("support/emails@^1.0/welcome", vars).catch((x: unknown) => x);
    assert.ok(never instanceof AnvilError && never.code === "unreachable" && never.url === own.url, String(never));
  } finally {
    await own.stop();
  }
});

test("a restarted application renders from its persisted cache, in the Rust SDK's format", async () => {
  const own = await Forge.start();
  const dir = join(scratch, "sdk-cache");
  try {
    const vars = { customer_name: "ada" };
    const first = await AnvilClient.create({ baseUrl: own.url, apiKey: own.seeded.key, persistenceDir: dir });
    const byChannel = await first.render("support/emails@production/welcome", vars);
    const exact = await first.render("support/emails@1.0.0/footer", {});
    assert.deepEqual(first.problems(), []);
    assert.deepEqual(readdirSync(join(dir, "sets")).sort(), ["common__tone@1.0.0.json", "support__emails@1.0.0.json"]);
    // The exact version came with the channel's answer: the index names what was asked for.
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "index.json"), "utf8")), { "support/emails@production": "1.0.0" });
    const onDisk = JSON.parse(readFileSync(join(dir, "sets", "support__emails@1.0.0.json"), "utf8"));
    assert.deepEqual(Object.keys(onDisk), ["project", "slug", "name", "description", "version", "dependencies", "prompts"]);
    assert.equal(onDisk.version.checksum, byChannel.checksum);
    await own.kill();

    // A new process: the forge is gone, the directory is all it has.
    const restarted = await AnvilClient.create({ baseUrl: own.url, apiKey: own.seeded.key, retries: 0, persistenceDir: dir });
    const r1 = await restarted.render("support/emails@1.0.0/footer", {});
    assert.equal(r1.text, exact.text);
    assert.equal(r1.isFallback, false, "an exact version is the real thing");
    assert.equal(r1.renderedBy, "local");
    const r2 = await restarted.render("support/emails@production/welcome", vars);
    assert.equal(r2.text, byChannel.text, "the dependency's partial came from disk too");
    assert.equal(r2.isFallback, true, "a channel not confirmed by the forge is a fallback");

    // Damaged files are reported and skipped, never a crash.
    writeFileSync(join(dir, "sets", "support__emails@1.0.0.json"), "{ not json");
    writeFileSync(join(dir, "index.json"), "[1, 2");
    const damaged = await AnvilClient.create({ baseUrl: own.url, persistenceDir: dir });
    const problems = damaged.problems();
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.ok(problems.some((p) => p.includes("index.json")), problems.join("\n"));
    assert.ok(existsSync(join(dir, "sets", "common__tone@1.0.0.json")));
  } finally {
    await own.stop();
  }
});
