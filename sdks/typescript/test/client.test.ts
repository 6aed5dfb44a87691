// The client against a real forge: it renders what the forge renders, reads sets, prompts and
// resolutions, reuses what it has (exact versions for ever, specs with their entity tags),
// retries only what is worth retrying, refuses tampered content, and names what is wrong.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AnvilClient, AnvilError } from "@anvil/sdk";

import { Forge, nowhere } from "./forge.js";
import { recordingFetch } from "./helpers.js";
import { Proxy } from "./proxy.js";

let forge: Forge;
let key: string;

before(async () => {
  forge = await Forge.start();
  key = forge.seeded.key;
});

after(async () => {
  await forge.stop();
});

test("renders on the forge and reads sets, prompts and resolutions", async () => {
  const anvil = new AnvilClient({ baseUrl: forge.url, apiKey: key, defaultSpec: "production" });
  assert.equal(anvil.state, "not_ready");
  const r = await anvil.render("support/emails/welcome", { customer_name: "ada lovelace", team: "Billing", plan: "pro" });
  assert.equal(r.text, "Hello Ada lovelace!\n-- Billing (tone 1.0)");
  assert.equal(r.text, (await forge.forgeRender("support/emails@production/welcome", { customer_name: "ada lovelace", team: "Billing" })).text);
  assert.equal(r.renderedBy, "forge");
  assert.equal(r.resolvedVersion, "1.0.0");
  assert.deepEqual(r.ignoredVariables, ["plan"]);
  assert.equal(r.isFallback, false);
  assert.match(r.checksum, /^sha256:[0-9a-f]{64}$/);
  assert.equal(anvil.state, "ready");

  const set = await anvil.getSet("support/emails@^1");
  assert.equal(set.address, "support/emails");
  assert.equal(set.resolvedVersion, "1.0.0");
  assert.deepEqual(Object.keys(set.prompts).sort(), ["footer", "welcome"]);
  assert.deepEqual(set.dependencies, [{ address: "common/tone@^1.0", resolved: "1.0.0" }]);
  assert.equal(set.checksum, r.checksum);

  const p = await anvil.getPrompt("support/emails@1.0.0/footer");
  assert.equal(p.slug, "footer");
  assert.match(p.content.template, /render 'common\/tone\/sign'/);
  assert.equal(p.content.parameters[0]?.name, "team");

  const res = await anvil.resolve("support/emails");
  assert.deepEqual(res, { address: "support/emails@production", resolvedVersion: "1.0.0", checksum: set.checksum, yanked: false, isFallback: false });
  assert.equal((await anvil.resolve("support/emails@1.0")).address, "support/emails@^1.0", "specs are spelled as the forge spells them");
});

test("errors name the address and why", async () => {
  const anvil = new AnvilClient({ baseUrl: forge.url, apiKey: key, retries: 0 });
  const missingVar = await anvil.render("support/emails@1.0.0/welcome", {}).catch((e: unknown) => e);
  assert.ok(missingVar instanceof AnvilError && missingVar.code === "invalid_variables", String(missingVar));
  assert.deepEqual(missingVar.problems, [{ field: "variables.customer_name", message: "is required" }]);
  assert.equal(missingVar.address, "support/emails@1.0.0/welcome");
  assert.match(missingVar.message, /support\/emails@1\.0\.0\/welcome: invalid variables: variables.customer_name is required/);

  const wrongType = await anvil.render("support/emails@1.0.0/welcome", { customer_name: 3 }).catch((e: unknown) => e);
  assert.ok(wrongType instanceof AnvilError && wrongType.code === "invalid_variables");
  assert.equal(wrongType.problems[0]?.message, "must be a string, got integer");

  const noSet = await anvil.render("support/nope@1.0.0/x", {}).catch((e: unknown) => e);
  assert.ok(noSet instanceof AnvilError && noSet.code === "not_found" && noSet.status === 404, String(noSet));
  assert.equal(noSet.address, "support/nope@1.0.0");

  const noPrompt = await anvil.getPrompt("support/emails@1.0.0/nope").catch((e: unknown) => e);
  assert.ok(noPrompt instanceof AnvilError && noPrompt.code === "not_found");
  assert.match(noPrompt.message, /has no prompt 'nope' \(prompts: footer, welcome\)/);

  for (const bad of ["not an address", "Support/emails", "support/emails@"]) {
    const e = await anvil.getSet(bad).catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "invalid_address", `${bad}: ${e}`);
  }
  const noPromptPart = await anvil.render("support/emails@1.0.0", {}).catch((e: unknown) => e);
  assert.ok(noPromptPart instanceof AnvilError && noPromptPart.code === "invalid_address");
  assert.match(noPromptPart.message, /must name a prompt/);

  const badKey = new AnvilClient({ baseUrl: forge.url, apiKey: "ank_live_nope" });
  const refused = await badKey.render("support/emails@1.0.0/welcome", {}).catch((e: unknown) => e);
  assert.ok(refused instanceof AnvilError && refused.code === "refused" && refused.status === 401, String(refused));
  assert.equal(badKey.state, "error");

  assert.throws(() => new AnvilClient({ baseUrl: "ftp://x" }), (e: unknown) => e instanceof AnvilError && e.code === "config");
  assert.throws(() => new AnvilClient({ baseUrl: forge.url, defaultSpec: "Not A Spec" }), /defaultSpec/);
});

test("a project access token reads its project's published versions, and nothing else", async () => {
  const token = await forge.accessToken();
  assert.match(token, /^anp_live_/);
  const anvil = new AnvilClient({ baseUrl: forge.url, accessToken: token, defaultSpec: "production" });
  const r = await anvil.render("support/emails/welcome", { customer_name: "ada" });
  assert.equal(r.text, "Hello Ada!\n-- Support (tone 1.0)", "its dependencies in another project are read too");
  assert.equal((await anvil.resolve("support/fixture")).resolvedVersion, "1.0.0");
  const other = await anvil.getSet("common/tone@1.0.0").catch((e: unknown) => e);
  assert.ok(other instanceof AnvilError && other.code === "not_found", `another project is not there: ${other}`);
});

test("exact versions are served from memory; an expired spec is asked again with its entity tag and a 304 keeps it", async () => {
  const rec = recordingFetch();
  const anvil = new AnvilClient({ baseUrl: forge.url, apiKey: key, cacheTtlMs: 0, fetch: rec.fetch });
  const exact = await anvil.getSet("support/emails@1.0.0");
  const resolvesOf = (s: string) => rec.log.filter((l) => l.path.startsWith(`/api/v1/resolve/support/emails@${s}`));
  assert.equal(resolvesOf("1.0.0").length, 1);
  for (let i = 0; i < 3; i++) assert.equal((await anvil.getSet("support/emails@1.0.0")).checksum, exact.checksum);
  assert.equal(resolvesOf("1.0.0").length, 1, "an exact version never expires");

  const first = await anvil.getSet("support/emails@production");
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await anvil.sync(), []);
    assert.deepEqual(await anvil.getSet("support/emails@production"), first);
  }
  const statuses = resolvesOf("production").map((l) => l.status);
  assert.equal(statuses[0], 200);
  assert.ok(statuses.filter((s) => s === 304).length >= 3, `each refresh of an unchanged set is a 304: ${statuses}`);
  assert.equal(anvil.state, "ready");
});

test("5xx and connection faults are retried with backoff; a 4xx is an answer, asked once", async () => {
  // Two 503s, then the real forge.
  const flaky = await Proxy.start(forge.url, { answer: (_req, n) => (n < 2 ? { status: 503, body: "{}" } : undefined) });
  try {
    const anvil = new AnvilClient({ baseUrl: flaky.url, apiKey: key, retries: 2 });
    const started = Date.now();
    assert.equal((await anvil.getSet("common/tone@1.0.0")).resolvedVersion, "1.0.0");
    assert.equal(flaky.count("/resolve/"), 3);
    assert.ok(Date.now() - started >= 200, "the retries waited (100 ms, then 200 ms, ±25%)");
  } finally {
    await flaky.close();
  }

  const broken = await Proxy.start(forge.url, { answer: () => ({ status: 503, body: "{}" }) });
  try {
    const anvil = new AnvilClient({ baseUrl: broken.url, apiKey: key, retries: 2 });
    const e = await anvil.getSet("support/emails@1.0.0").catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "unreachable", String(e));
    assert.equal(e.url, broken.url);
    assert.match(e.message, /cannot be reached: HTTP 503/);
    assert.equal(broken.count("/resolve/"), 3, "three attempts, then unreachable");
    assert.equal(anvil.state, "stale");
  } finally {
    await broken.close();
  }

  const passthrough = await Proxy.start(forge.url);
  try {
    const anvil = new AnvilClient({ baseUrl: passthrough.url, apiKey: key, retries: 2 });
    const e = await anvil.getSet("support/gone@1.0.0").catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "not_found");
    assert.equal(passthrough.count("/resolve/"), 1, "a 404 is not retried");
    const refused = await new AnvilClient({ baseUrl: passthrough.url, apiKey: "ank_live_nope", retries: 2 }).getSet("support/emails@1.0.0").catch((x: unknown) => x);
    assert.ok(refused instanceof AnvilError && refused.status === 401);
    assert.equal(passthrough.count("/resolve/"), 2, "nor is a 401");
  } finally {
    await passthrough.close();
  }

  // Nothing listens: connection refused, retried, then unreachable naming the URL.
  const url = await nowhere();
  const e = await new AnvilClient({ baseUrl: url, apiKey: key, retries: 1, timeoutMs: 500 }).getSet("support/emails@1.0.0").catch((x: unknown) => x);
  assert.ok(e instanceof AnvilError && e.code === "unreachable" && e.url === url, String(e));
});

test("content that does not match its checksum is refused, and so is another set than the one asked for", async () => {
  const tampered = await Proxy.start(forge.url, {
    rewrite: (req, body) => {
      if (!req.url?.includes("/resolve/support/emails")) return body;
      const v = JSON.parse(body);
      v.prompts.footer.template = "-- Mallory";
      return JSON.stringify(v);
    },
  });
  try {
    const anvil = new AnvilClient({ baseUrl: tampered.url, apiKey: key });
    const e = await anvil.render("support/emails@1.0.0/footer", {}).catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "checksum", String(e));
    assert.match(e.message, /support\/emails@1\.0\.0: the content does not match its checksum sha256:[0-9a-f]{64}; not served/);
    assert.equal(tampered.count("/render/"), 0, "nothing of it was rendered");
  } finally {
    await tampered.close();
  }
  const swapped = await Proxy.start(forge.url, {
    rewrite: (req, body) => (req.url?.includes("/resolve/support/emails") ? body.replace('"slug":"emails"', '"slug":"other"') : body),
  });
  try {
    const e = await new AnvilClient({ baseUrl: swapped.url, apiKey: key }).getSet("support/emails@1.0.0").catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "refused", String(e));
    assert.match(e.message, /answered support\/other instead/);
  } finally {
    await swapped.close();
  }
});
