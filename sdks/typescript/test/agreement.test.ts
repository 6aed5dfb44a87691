// Every prompt of the fixture set rendered on the forge and locally (LiquidJS), compared: the
// texts must be equal, or both sides must refuse the variables the same way. The differences
// the README lists are checked too, so the list stays true.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AnvilClient, AnvilError, type FetchLike } from "@anvil/sdk";

import { AGREEMENT, KNOWN } from "./fixture.js";
import { Forge } from "./forge.js";

let forge: Forge;
let local: AnvilClient;

before(async () => {
  forge = await Forge.start();
  // The network refuses renders only: the SDK has the set, and must render it itself.
  const noRender: FetchLike = (url, init) =>
    url.includes("/api/v1/render/") ? Promise.reject(new TypeError("fetch failed (no route to the forge)")) : fetch(url, init);
  local = new AnvilClient({ baseUrl: forge.url, apiKey: forge.seeded.key, fetch: noRender, retries: 0 });
});

after(async () => {
  await forge.stop();
});

async function both(slug: string, vars: Record<string, unknown>) {
  const address = `support/fixture@1.0.0/${slug}`;
  const res = await fetch(`${forge.url}/api/v1/render/${address}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${forge.seeded.key}` },
    body: JSON.stringify({ variables: vars }),
  });
  const body = (await res.json()) as any;
  const onForge = res.ok ? { text: body.rendered as string } : { problems: body.error.details as unknown[] };
  let here: { text: string } | { problems: unknown[] };
  try {
    const r = await local.render(address, vars);
    assert.equal(r.renderedBy, "local", `${address} was rendered locally`);
    here = { text: r.text };
  } catch (e) {
    assert.ok(e instanceof AnvilError && e.code === "invalid_variables", `${address} ${JSON.stringify(vars)}: ${e}`);
    here = { problems: e.problems };
  }
  return { onForge, here };
}

test("every fixture prompt renders locally exactly as the forge renders it", async () => {
  let compared = 0;
  for (const p of AGREEMENT) {
    for (const vars of p.cases) {
      const { onForge, here } = await both(p.slug, vars);
      assert.deepEqual(here, onForge, `${p.slug} with ${JSON.stringify(vars)}`);
      compared += 1;
    }
  }
  assert.ok(compared >= 25, `${compared} cases`);
});

test("the differences the README lists are still the ones there are", async () => {
  for (const k of KNOWN) {
    const { onForge, here } = await both(k.slug, k.cases[0]!);
    assert.deepEqual(onForge, k.forge === null ? onForge : { text: k.forge }, `${k.slug} on the forge (${k.why})`);
    assert.deepEqual(here, { text: k.local }, `${k.slug} locally (${k.why})`);
  }
});
