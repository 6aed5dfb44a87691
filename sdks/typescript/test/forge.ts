// A real forge for the tests: the `anvil` binary (ANVIL_BIN, default ../../target/debug/anvil
// from sdks/typescript) on a free port with its own data directory, seeded through the REST
// API with the fixture, and killed at the end.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { AGREEMENT, EMAILS, KNOWN, type FixturePrompt } from "./fixture.js";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const binary = process.env["ANVIL_BIN"] ? resolve(process.env["ANVIL_BIN"]) : resolve(packageRoot, "../../target/debug/anvil");

/** Forges this process started: killed on its way out, whatever ended it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

/** A port nothing listens on (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

export interface Seeded {
  /** A `read` API key for the SDK. */
  key: string;
  /** Ids of what the tests change. */
  supportId: string;
  emailsId: string;
  welcomeId: string;
  fixtureId: string;
}

export class Forge {
  private child: ChildProcess | undefined;
  private log = "";
  /** The owner's session, for setting things up (API keys cannot make keys). */
  private cookie = "";
  seeded!: Seeded;

  private constructor(
    readonly url: string,
    readonly port: number,
    readonly dir: string,
  ) {}

  /** Starts a forge and seeds the fixture. */
  static async start(): Promise<Forge> {
    if (!existsSync(binary)) {
      throw new Error(
        `no forge binary at ${binary}: build it first (cargo build -p anvil-cli, or cargo test --workspace) or set ANVIL_BIN. ` +
          "The SDK's tests run against a real forge and are never skipped.",
      );
    }
    const port = await freePort();
    const f = new Forge(`http://127.0.0.1:${port}`, port, mkdtempSync(join(tmpdir(), "anvil-sdk-ts-")));
    await f.run();
    try {
      await f.seed();
    } catch (e) {
      await f.stop();
      throw e;
    }
    return f;
  }

  /** Starts the binary on this forge's port and data directory, and waits until it answers. */
  async run(): Promise<void> {
    this.log = "";
    const child = spawn(binary, ["serve", "--data-dir", this.dir, "--bind", `127.0.0.1:${this.port}`], {
      env: { ...process.env, ANVIL_PUBLIC_URL: this.url, ANVIL_RATE_LIMITS: "off", RUST_LOG: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    child.stderr?.on("data", (d: Buffer) => {
      this.log += d.toString();
    });
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`the forge exited (${child.exitCode}): ${this.log}`);
      try {
        const r = await fetch(`${this.url}/readyz`);
        if (r.ok) return;
      } catch {
        // Not up yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the forge did not start within 30 s: ${this.log}`);
  }

  /** Kills the process at once, as a crash or a pulled cable would. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Stops the forge and starts it again on the same address and data (a deploy). */
  async restart(): Promise<void> {
    await this.kill();
    await this.run();
  }

  /** Stops the forge and removes its data. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A call to the API that must succeed; its JSON answer. */
  async api(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = { "content-type": "application/json", origin: this.url, cookie: this.cookie };
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers,
      // A string is sent as it is: JSON that JavaScript cannot write (`10.0`).
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** What the forge itself renders for `address` (the reference the SDK is compared with). */
  async forgeRender(address: string, variables: Record<string, unknown>): Promise<{ ok: boolean; text: string }> {
    const res = await fetch(`${this.url}/api/v1/render/${address}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.seeded.key}` },
      body: JSON.stringify({ variables }),
    });
    const body = (await res.json()) as any;
    return res.ok ? { ok: true, text: body.rendered } : { ok: false, text: JSON.stringify(body.error?.details ?? body.error) };
  }

  private async prompts(setId: string, prompts: FixturePrompt[]): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const p of prompts) {
      // A whole float default stays a float on the forge.
      const body = JSON.stringify(p).replace(/"default":(-?[0-9]+)\}/g, (m, n: string) => (p.slug === "float-default" ? `"default":${n}.0}` : m));
      const created = await this.api("POST", `/prompt_sets/${setId}/prompts`, body);
      ids[created.prompt.slug] = created.prompt.id;
    }
    return ids;
  }

  /**
   * `common/tone@1.0.0` (prompt `sign`), `support/emails@1.0.0` depending on it and
   * `support/fixture@1.0.0` (the agreement prompts), both on channel `production`.
   */
  private async seed(): Promise<void> {
    const res = await fetch(`${this.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: this.url },
      body: JSON.stringify({ email: "sdk@example.com", password: "correct horse battery" }),
    });
    if (!res.ok) throw new Error(`register: ${res.status} ${await res.text()}`);
    this.cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const read = await this.api("POST", "/api_keys", { name: "sdk", scopes: ["read"] });

    const common = (await this.api("POST", "/projects", { name: "Common" })).project.id;
    const tone = (await this.api("POST", `/projects/${common}/prompt_sets`, { name: "Tone" })).prompt_set.id;
    await this.prompts(tone, [{ name: "Sign", template: "(tone 1.0)" }]);
    await this.api("POST", `/prompt_sets/${tone}/versions`, { label: "1.0.0" });

    const support = (await this.api("POST", "/projects", { name: "Support" })).project.id;
    const emails = (await this.api("POST", `/projects/${support}/prompt_sets`, { name: "Emails", dependencies: ["common/tone@^1.0"] }))
      .prompt_set.id;
    const ids = await this.prompts(emails, EMAILS);
    await this.api("POST", `/prompt_sets/${emails}/versions`, { label: "1.0.0" });
    await this.api("PUT", `/prompt_sets/${emails}/channels/production`, { version: "1.0.0" });

    const fixture = (await this.api("POST", `/projects/${support}/prompt_sets`, { name: "Fixture", dependencies: ["common/tone@^1.0"] }))
      .prompt_set.id;
    await this.prompts(
      fixture,
      [...AGREEMENT, ...KNOWN].map(({ slug, name, template, parameters }) => ({ slug, name, template, parameters })),
    );
    await this.api("POST", `/prompt_sets/${fixture}/versions`, { label: "1.0.0" });
    await this.api("PUT", `/prompt_sets/${fixture}/channels/production`, { version: "1.0.0" });

    this.seeded = { key: read.api_key.key, supportId: support, emailsId: emails, welcomeId: ids["welcome"]!, fixtureId: fixture };
  }

  /** Saves a new `welcome` template, cuts `label` and moves production to it. */
  async shipWelcome(template: string, label: string): Promise<void> {
    await this.api("PATCH", `/prompts/${this.seeded.welcomeId}`, { template });
    await this.api("POST", `/prompt_sets/${this.seeded.emailsId}/versions`, { label });
    await this.api("PUT", `/prompt_sets/${this.seeded.emailsId}/channels/production`, { version: label });
  }

  /** A project access token for `support`. */
  async accessToken(): Promise<string> {
    return (await this.api("POST", `/projects/${this.seeded.supportId}/access_tokens`, { name: "sdk" })).access_token.token;
  }

  /** The `support` project's bundle, as `anvil export` writes it. */
  async projectBundle(): Promise<any> {
    return this.api("GET", `/projects/${this.seeded.supportId}/bundle`);
  }
}

/** A URL where no forge listens. */
export async function nowhere(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
