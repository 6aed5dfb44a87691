// Anvil's MCP server (/mcp) through the official clients, npm's @modelcontextprotocol/client
// and PyPI's mcp (python_client.py), against a real forge: both protocol revisions, listing
// with cursors, rendering with typed arguments, a missing argument, list_changed after a
// channel move, and what the transport refuses.
import { spawn, spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";

import { BULK, startForge } from "./forge.mjs";

const python = process.env.PYTHON || "python3";
const here = new URL(".", import.meta.url).pathname;
// Every published prompt the organisation's API key sees at `stable`: emails (2), bulk, notes.
const ALL = 2 + BULK + 1;

let forge;
before(async () => {
  forge = await startForge();
});
after(async () => {
  await forge?.stop();
});

async function connect(credential, mode, spec) {
  const client = new Client({ name: "anvil-tests", version: "1.0" }, mode ? { versionNegotiation: { mode } } : {});
  const url = new URL(forge.mcp + (spec ? `?spec=${encodeURIComponent(spec)}` : ""));
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${credential}` } },
  });
  await client.connect(transport);
  return client;
}

function within(ms, what, p) {
  let t;
  return Promise.race([p.finally(() => clearTimeout(t)), new Promise((_, fail) => { t = setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms); })]);
}

async function moveProduction(version) {
  await forge.api("PUT", `/prompt_sets/${forge.emails}/channels/production`, { version });
}

test("the npm client on 2026-07-28 lists every prompt across pages and renders with typed arguments", async () => {
  const client = await connect(forge.key, "auto");
  try {
    assert.equal(client.getProtocolEra(), "modern");
    assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
    assert.equal(client.getServerVersion().name, "anvil");
    const { prompts } = await client.listPrompts();
    const names = prompts.map((p) => p.name);
    assert.equal(names.length, ALL, names.join(", "));
    assert.ok(!names.some((n) => n.startsWith("support/drafts")), "a set without a version is not listed");
    const welcome = prompts.find((p) => p.name === "support/emails@stable/welcome");
    assert.equal(welcome.title, "Welcome");
    assert.equal(welcome.description, "Greets a new customer warmly", "stable is 1.1.0");
    assert.deepEqual(welcome.arguments, [
      { name: "customer_name", description: "Who is greeted", required: true },
      { name: "seats", description: "Seats bought (integer; default: 1)", required: false },
      { name: "vip", description: "(boolean)", required: false },
      { name: "tags", description: "(array, as JSON)", required: false },
    ]);
    const got = await client.getPrompt({
      name: "support/emails@stable/welcome",
      arguments: { customer_name: "Ada <b>", seats: "3", vip: "true", tags: '["x","y"]' },
    });
    assert.deepEqual(got.messages, [{ role: "user", content: { type: "text", text: "Hello Ada <b>! You have 6 seats, VIP. #x #y" } }]);
    // The same text as POST /render gives.
    const rest = await fetch(`${forge.url}/api/v1/render/support/emails@stable/welcome`, {
      method: "POST",
      headers: { authorization: `Bearer ${forge.key}`, "content-type": "application/json" },
      body: JSON.stringify({ variables: { customer_name: "Ada <b>", seats: 3, vip: true, tags: ["x", "y"] } }),
    });
    assert.equal((await rest.json()).rendered, got.messages[0].content.text);
  } finally {
    await client.close();
  }
});

test("the npm client gets MCP errors naming the argument or the prompt", async () => {
  const client = await connect(forge.key, "auto");
  try {
    const refused = async (params, pattern) => {
      await assert.rejects(client.getPrompt(params), (e) => {
        assert.ok(e instanceof ProtocolError, String(e));
        assert.equal(e.code, ProtocolErrorCode.InvalidParams);
        assert.match(e.message, pattern);
        return true;
      });
    };
    await refused({ name: "support/emails@stable/welcome", arguments: { seats: "2" } }, /customer_name/);
    const blank = await client.getPrompt({ name: "support/emails@stable/welcome", arguments: { customer_name: "Bo", seats: "", vip: "" } });
    assert.equal(blank.messages[0].content.text, "Hello Bo! You have 2 seats.", "a blank optional argument takes its default");
    await refused({ name: "support/emails@stable/welcome", arguments: { customer_name: "Ada", seats: "two" } }, /seats.*integer/);
    await refused({ name: "support/emails@stable/nope", arguments: {} }, /unknown prompt/);
    await refused({ name: "support/drafts@stable/idea", arguments: {} }, /unknown prompt/);
  } finally {
    await client.close();
  }
});

test("the npm client hears list_changed after a channel move, and the list shows the move", async () => {
  const client = await connect(forge.key, "auto", "production");
  try {
    const described = async () =>
      (await client.listPrompts()).prompts.find((p) => p.name === "support/emails@production/welcome").description;
    assert.equal(await described(), "Greets a new customer");
    const changed = new Promise((ok) => client.setNotificationHandler("notifications/prompts/list_changed", ok));
    const sub = await client.listen({ promptsListChanged: true });
    assert.deepEqual(sub.honoredFilter, { promptsListChanged: true });
    await moveProduction("1.1.0");
    await within(10_000, "list_changed", changed);
    assert.equal(await described(), "Greets a new customer warmly");
    await sub.close();
    await moveProduction("1.0.0");
  } finally {
    await client.close();
  }
});

test("the npm client's 2025-11-25 handshake is answered without a session", async () => {
  const client = await connect(forge.key);
  try {
    assert.equal(client.getProtocolEra(), "legacy");
    assert.equal(client.getNegotiatedProtocolVersion(), "2025-11-25");
    assert.equal(client.getServerCapabilities().prompts.listChanged, false);
    const { prompts } = await client.listPrompts();
    assert.equal(prompts.length, ALL);
    const got = await client.getPrompt({ name: "support/emails@stable/welcome", arguments: { customer_name: "Lin" } });
    assert.equal(got.messages[0].content.text, "Hello Lin! You have 2 seats.");
    await assert.rejects(client.getPrompt({ name: "support/emails@stable/welcome", arguments: {} }), (e) => e instanceof ProtocolError && e.code === ProtocolErrorCode.InvalidParams && /customer_name/.test(e.message));
  } finally {
    await client.close();
  }
});

test("a project access token sees its own project's prompts only", async () => {
  const client = await connect(forge.token, "auto");
  try {
    const { prompts } = await client.listPrompts();
    assert.equal(prompts.length, ALL - 1);
    assert.ok(prompts.every((p) => p.name.startsWith("support/")));
    await assert.rejects(client.getPrompt({ name: "other/notes@stable/note", arguments: {} }), (e) => e instanceof ProtocolError && e.code === ProtocolErrorCode.InvalidParams);
  } finally {
    await client.close();
  }
});

function runPython(mode, onListening) {
  return new Promise((ok, fail) => {
    const child = spawn(python, [here + "python_client.py", forge.mcp, forge.key, mode], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (onListening && out.includes("LISTENING\n")) {
        const f = onListening;
        onListening = null;
        f().catch(fail);
      }
    });
    child.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return fail(new Error(`python_client.py ${mode} exited ${code}: ${err}\n${out}`));
      ok(JSON.parse(out.trim().split("\n").at(-1)));
    });
  });
}

const pythonReady = spawnSync(python, ["-c", "import mcp, httpx2"]).status === 0;
if (!pythonReady) {
  throw new Error(`the Python MCP client is not importable with ${python}: pip install -r tests/mcp/requirements.txt (or set PYTHON)`);
}

test("the Python client on 2026-07-28: pages, typed arguments, a missing argument, list_changed", async () => {
  const s = await runPython("auto", () => moveProduction("1.1.0"));
  await moveProduction("1.0.0");
  assert.equal(s.protocol_version, "2026-07-28");
  assert.equal(s.names.length, ALL);
  assert.equal(s.pages, 2);
  assert.deepEqual(s.welcome_arguments[0], { name: "customer_name", description: "Who is greeted", required: true });
  assert.equal(s.rendered, "Hello Ada! You have 6 seats, VIP. #a");
  assert.equal(s.role, "user");
  assert.equal(s.missing.code, -32602);
  assert.match(s.missing.message, /customer_name/);
  assert.equal(s.changed, true);
});

test("the Python client on the 2025-11-25 handshake", async () => {
  const s = await runPython("legacy");
  assert.equal(s.protocol_version, "2025-11-25");
  assert.equal(s.names.length, ALL);
  assert.equal(s.rendered, "Hello Ada! You have 6 seats, VIP. #a");
  assert.equal(s.missing.code, -32602);
});

// What the transport refuses, asked directly: these are the server's checks, not a client's.
const envelope = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
async function post(body, headers = {}) {
  const res = await fetch(forge.mcp, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${forge.key}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

test("the transport checks headers against the body, credentials and the Origin", async () => {
  const modern = { "mcp-protocol-version": "2026-07-28", "mcp-method": "prompts/list" };
  const list = { jsonrpc: "2.0", id: 7, method: "prompts/list", params: { _meta: envelope } };
  const first = await post(list, modern);
  assert.equal(first.status, 200);
  assert.equal(first.body.result.prompts.length, 50);
  assert.equal(first.body.result.resultType, "complete");
  const second = await post({ ...list, params: { ...list.params, cursor: first.body.result.nextCursor } }, modern);
  assert.equal(second.body.result.prompts.length, ALL - 50);
  assert.equal(second.body.result.nextCursor, undefined);
  assert.ok(!second.body.result.prompts.some((p) => first.body.result.prompts.some((q) => q.name === p.name)), "pages do not overlap");
  const bad = await post({ ...list, params: { ...list.params, cursor: "%%%" } }, modern);
  assert.equal(bad.body.error.code, -32602);

  let r = await post(list, { ...modern, "mcp-method": "prompts/get" });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32020);
  assert.equal(r.body.id, 7);
  r = await post({ ...list, params: {} }, modern);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32020, "a 2026-07-28 header needs the version in _meta");
  r = await post({ jsonrpc: "2.0", id: 5, method: "prompts/list", params: [] });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32600);
  r = await post(list, { "mcp-method": "prompts/list" });
  assert.equal(r.body.error.code, -32020, "the version header is required on 2026-07-28");
  r = await post({ ...list, params: { _meta: { ...envelope, "io.modelcontextprotocol/protocolVersion": "2099-01-01" } } }, { ...modern, "mcp-protocol-version": "2099-01-01" });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, -32022);
  assert.ok(r.body.error.data.supported.includes("2026-07-28"));
  r = await post({ jsonrpc: "2.0", id: 8, method: "prompts/get", params: { name: "support/emails@stable/farewell", _meta: envelope } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "prompts/get", "mcp-name": "support/emails@stable/welcome" });
  assert.equal(r.body.error.code, -32020, "Mcp-Name must be the prompt asked for");

  r = await post({ jsonrpc: "2.0", id: 9, method: "tools/list", params: { _meta: envelope } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" });
  assert.equal(r.status, 200);
  assert.equal(r.body.error.code, -32601);
  r = await post("{not json");
  assert.equal(r.body.error.code, -32700);
  r = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  assert.equal(r.status, 202);

  r = await post(list, { ...modern, authorization: "Bearer ank_live_not_a_real_key" });
  assert.equal(r.status, 401);
  assert.match(r.headers.get("www-authenticate"), /Bearer/);
  r = await post(list, { ...modern, authorization: "" });
  assert.equal(r.status, 401);
  assert.match(r.body.error.message, /API key or a project access token/);
  r = await post(list, { ...modern, cookie: forge.cookie, authorization: "" });
  assert.equal(r.status, 401, "a browser session is not an MCP credential");

  r = await post(list, { ...modern, origin: "https://evil.example" });
  assert.equal(r.status, 403);
  r = await post(list, { ...modern, origin: forge.url });
  assert.equal(r.status, 200);
  r = await post(list, { ...modern, origin: "http://rebound.example:" + new URL(forge.url).port, "sec-fetch-site": "same-origin" });
  assert.equal(r.status, 403, "a rebound host name is not this forge, whatever the browser says");

  assert.equal((await fetch(forge.mcp, { headers: { authorization: `Bearer ${forge.key}` } })).status, 405);
});
