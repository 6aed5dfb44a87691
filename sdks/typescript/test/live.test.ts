// Following the forge: an expired channel refreshes in the background, a channel move reaches
// a subscribed client without polling, a subscription resumes after a restart with
// Last-Event-ID and misses nothing, and a frozen client changes only on sync().

import assert from "node:assert/strict";
import { test } from "node:test";

import { AnvilClient, AnvilError } from "@anvil/sdk";

import { Forge } from "./forge.js";
import { eventsUntil, nextChange, recordingFetch } from "./helpers.js";
import { Proxy } from "./proxy.js";

const address = "support/emails@production/welcome";
const vars = { customer_name: "ada" };

async function withForge(run: (f: Forge) => Promise<void>): Promise<void> {
  const f = await Forge.start();
  try {
    await run(f);
  } finally {
    await f.stop();
  }
}

test("an answer within its TTL costs no request; an expired channel is served at once and refreshed in the background", () =>
  withForge(async (f) => {
    const rec = recordingFetch();
    const cached = new AnvilClient({ baseUrl: f.url, apiKey: f.seeded.key, cacheTtlMs: 3_600_000, fetch: rec.fetch });
    await cached.getSet("support/emails@production");
    const asked = rec.log.length;
    await cached.getSet("support/emails@production");
    await cached.resolve("support/emails@production");
    assert.equal(rec.log.length, asked, "within the TTL the forge is not asked");

    const anvil = new AnvilClient({ baseUrl: f.url, apiKey: f.seeded.key, cacheTtlMs: 0 });
    const old = await anvil.render(address, vars);
    await f.shipWelcome("Hi {{ customer_name }}, v2", "1.1.0");
    const changed = nextChange(anvil);
    // The expired answer serves while the refresh runs.
    const served = await anvil.render(address, vars);
    assert.equal(served.text, old.text);
    assert.equal(served.resolvedVersion, "1.0.0");
    const change = await changed;
    assert.deepEqual([change.address, change.from, change.to], ["support/emails@production", "1.0.0", "1.1.0"]);
    const now = await anvil.render(address, vars);
    assert.equal(now.text, "Hi ada, v2");
    assert.equal(now.resolvedVersion, "1.1.0");
    assert.equal(now.checksum, change.checksum);
  }));

test("a channel move reaches a subscribed client without polling, and the next render shows it", () =>
  withForge(async (f) => {
    // A TTL of an hour: only the event stream can make the client ask again.
    const anvil = new AnvilClient({ baseUrl: f.url, apiKey: f.seeded.key, cacheTtlMs: 3_600_000 });
    await anvil.render(address, vars);
    const live = await anvil.subscribe("support");
    try {
      const changed = nextChange(anvil);
      await f.shipWelcome("Hello again {{ customer_name }}", "1.1.0");
      assert.equal((await changed).to, "1.1.0");
      const r = await anvil.render(address, vars);
      assert.equal(r.text, "Hello again ada");
      assert.equal(r.isFallback, false);
      // The application sees the events too, typed.
      const seen = await eventsUntil(live, "version.created");
      const moved = await eventsUntil(live, "channel.moved");
      assert.ok(seen.some((e) => e.type === "version.created"));
      const last = moved.at(-1)!;
      assert.equal(last.payload["to"], "1.1.0");
      assert.equal(last.payload["channel"], "production");
      assert.equal(typeof last.id, "number");
      assert.match(last.occurredAt, /^\d{4}-\d\d-\d\dT/);
      assert.equal(live.lastEventId, String(last.id));
    } finally {
      live.close();
    }
    assert.equal(await live.next(), undefined, "a closed subscription ends");
    // A project that does not exist is refused, not retried for ever.
    const e = await anvil.subscribe("nope").catch((x: unknown) => x);
    assert.ok(e instanceof AnvilError && e.code === "not_found", String(e));
    const bad = await anvil.subscribe("not/a project").catch((x: unknown) => x);
    assert.ok(bad instanceof AnvilError && bad.code === "invalid_address");
  }));

test("a subscription reconnects after the forge restarts, resumes from Last-Event-ID and misses nothing", () =>
  withForge(async (f) => {
    // The stream goes through a proxy that can hold the reconnection back, so what happens
    // meanwhile can only arrive by replay.
    let blocked = false;
    const net = await Proxy.start(f.url, {
      answer: (req) => (blocked && req.url?.startsWith("/api/v1/events") ? { status: 503, body: "{}" } : undefined),
    });
    const token = await f.accessToken();
    const anvil = new AnvilClient({ baseUrl: net.url, accessToken: token, cacheTtlMs: 3_600_000 });
    await anvil.render(address, vars);
    const live = await anvil.subscribe("support");
    try {
      const firstChange = nextChange(anvil);
      await f.shipWelcome("Before the deploy {{ customer_name }}", "1.0.1");
      assert.equal((await firstChange).to, "1.0.1");
      const before = await eventsUntil(live, "channel.moved");
      const resumeFrom = before.at(-1)!.id;
      assert.equal(live.lastEventId, String(resumeFrom));

      // A deploy: the stream breaks, the forge restarts, and a new version ships before the
      // subscription is back.
      blocked = true;
      await f.kill();
      net.dropStreams();
      await f.run();
      await f.shipWelcome("After the deploy {{ customer_name }}", "1.1.0");
      assert.equal((await anvil.render(address, vars)).text, "Before the deploy ada", "nothing told the client yet");
      const changed = nextChange(anvil);
      blocked = false;

      assert.equal((await changed).to, "1.1.0");
      assert.equal((await anvil.render(address, vars)).text, "After the deploy ada");
      const after = await eventsUntil(live, "channel.moved");
      assert.ok(after.some((e) => e.type === "version.created" && e.payload["label"] === "1.1.0"), JSON.stringify(after));
      assert.ok(after.every((e) => e.id > resumeFrom), "nothing seen before is replayed");
      assert.equal(net.lastEventIds.at(-1), String(resumeFrom), "the reconnection resumed from the last event seen");
      assert.equal(net.lastEventIds[0], undefined, "the first connection had nothing to resume");
    } finally {
      live.close();
      await net.close();
    }
  }));

test("a frozen client ignores events and its expired TTL, and changes only on sync()", () =>
  withForge(async (f) => {
    const anvil = new AnvilClient({ baseUrl: f.url, apiKey: f.seeded.key, mode: "frozen", cacheTtlMs: 0 });
    const old = await anvil.render(address, vars);
    const live = await anvil.subscribe("support");
    try {
      await f.shipWelcome("Frozen out {{ customer_name }}", "1.1.0");
      // The event arrives, and the frozen client ignores it, as it ignores its expired TTL.
      await eventsUntil(live, "channel.moved");
      const still = await anvil.render(address, vars);
      assert.deepEqual(still, old);
      const changed = await anvil.sync();
      assert.equal(changed.length, 1, JSON.stringify(changed));
      assert.equal(changed[0]!.to, "1.1.0");
      assert.equal((await anvil.render(address, vars)).text, "Frozen out ada");
    } finally {
      anvil.close();
    }
    assert.ok(live.closed);
  }));
