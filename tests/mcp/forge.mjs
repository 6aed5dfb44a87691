// A real forge (the binary `cargo test` built) on a free port with its own data directory,
// seeded through the REST API with what the MCP tests list and render.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(new URL(".", import.meta.url).pathname, "../..");
export const binary = process.env.ANVIL_BIN || join(root, "target/debug/anvil");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Prompts of `bulk`: more than one page of `prompts/list` (50). */
export const BULK = 55;

export async function startForge() {
  if (!existsSync(binary)) {
    throw new Error(`no forge binary at ${binary}: run cargo test --workspace (or cargo build) first, or set ANVIL_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), "anvil-mcp-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ["serve", "--data-dir", dir, "--bind", `127.0.0.1:${port}`], {
    env: { ...process.env, ANVIL_PUBLIC_URL: url, ANVIL_RATE_LIMITS: "off", ANVIL_EVENTS_HEARTBEAT_SECONDS: "1", RUST_LOG: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => { log += d; });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error("the forge exited: " + log);
    try {
      if ((await fetch(url + "/readyz")).ok) break;
    } catch (_) { /* not up yet */ }
    if (i > 300) throw new Error("the forge did not start: " + log);
    await new Promise((r) => setTimeout(r, 100));
  }
  const forge = {
    url,
    mcp: url + "/mcp",
    log: () => log,
    cookie: "",
    async api(method, path, body) {
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { "content-type": "application/json", origin: url, cookie: forge.cookie },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await seed(forge);
  return forge;
}

/**
 * `support/emails` at 1.0.0 and 1.1.0 (production on 1.0.0; 1.1.0 describes `welcome`
 * differently), `support/bulk@1.0.0` with BULK prompts, `support/drafts` with no version (so
 * not listed), and `other/notes@1.0.0` in a second project (outside the access token's reach).
 */
async function seed(forge) {
  const res = await fetch(`${forge.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: forge.url },
    body: JSON.stringify({ email: "mcp@example.com", password: "correct horse battery" }),
  });
  if (!res.ok) throw new Error(`register: ${res.status} ${await res.text()}`);
  forge.cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  forge.key = (await forge.api("POST", "/api_keys", { name: "mcp", scopes: ["read"] })).api_key.key;

  const support = (await forge.api("POST", "/projects", { name: "Support" })).project.id;
  const emails = (await forge.api("POST", `/projects/${support}/prompt_sets`, { name: "Emails" })).prompt_set.id;
  const welcome = (await forge.api("POST", `/prompt_sets/${emails}/prompts`, {
    name: "Welcome",
    description: "Greets a new customer",
    template: "Hello {{ customer_name }}! You have {{ seats | times: 2 }} seats{% if vip %}, VIP{% endif %}.{% for t in tags %} #{{ t }}{% endfor %}",
    parameters: [
      { name: "customer_name", type: "string", required: true, description: "Who is greeted" },
      { name: "seats", type: "integer", default: 1, description: "Seats bought" },
      { name: "vip", type: "boolean" },
      { name: "tags", type: "array" },
    ],
  })).prompt.id;
  await forge.api("POST", `/prompt_sets/${emails}/prompts`, { name: "Farewell", template: "Bye." });
  await forge.api("POST", `/prompt_sets/${emails}/versions`, { label: "1.0.0" });
  await forge.api("PUT", `/prompt_sets/${emails}/channels/production`, { version: "1.0.0" });
  await forge.api("PATCH", `/prompts/${welcome}`, { description: "Greets a new customer warmly" });
  await forge.api("POST", `/prompt_sets/${emails}/versions`, { label: "1.1.0" });

  const bulk = (await forge.api("POST", `/projects/${support}/prompt_sets`, { name: "Bulk" })).prompt_set.id;
  for (let i = 0; i < BULK; i++) {
    await forge.api("POST", `/prompt_sets/${bulk}/prompts`, { name: `P${String(i).padStart(2, "0")}`, template: `prompt ${i}` });
  }
  await forge.api("POST", `/prompt_sets/${bulk}/versions`, { label: "1.0.0" });

  const drafts = (await forge.api("POST", `/projects/${support}/prompt_sets`, { name: "Drafts" })).prompt_set.id;
  await forge.api("POST", `/prompt_sets/${drafts}/prompts`, { name: "Idea", template: "not published" });

  const other = (await forge.api("POST", "/projects", { name: "Other" })).project.id;
  const notes = (await forge.api("POST", `/projects/${other}/prompt_sets`, { name: "Notes" })).prompt_set.id;
  await forge.api("POST", `/prompt_sets/${notes}/prompts`, { name: "Note", template: "a note" });
  await forge.api("POST", `/prompt_sets/${notes}/versions`, { label: "1.0.0" });

  forge.token = (await forge.api("POST", `/projects/${support}/access_tokens`, { name: "mcp" })).access_token.token;
  forge.emails = emails;
  forge.notes = notes;
}
