// Starts a real forge (the binary `cargo test` built) on a free port with its own data
// directory, and opens headless Chromium (Debian's) against it. No browser is downloaded.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(new URL(".", import.meta.url).pathname, "../../../..");
export const binary = process.env.ANVIL_BIN || join(root, "target/debug/anvil");
export const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
export const shots = join(root, "target/ui-screenshots");

/// Why the browser tests cannot run here, or null. CI sets ANVIL_REQUIRE_BROWSER=1, which
/// turns a missing browser into a failure instead of a skip.
export function missing() {
  const why = !existsSync(chromium)
    ? `no Chromium at ${chromium} (apt-get install chromium chromium-driver, or set CHROMIUM)`
    : !existsSync(binary)
      ? `no forge binary at ${binary} (run cargo test --workspace or cargo build first, or set ANVIL_BIN)`
      : null;
  if (why && process.env.ANVIL_REQUIRE_BROWSER === "1") throw new Error("browser tests required but " + why);
  if (why) console.error("\n*** SKIPPING the browser tests: " + why + " ***\n");
  return why;
}

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

export async function startForge() {
  const dir = mkdtempSync(join(tmpdir(), "anvil-ui-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ["serve", "--data-dir", dir, "--bind", `127.0.0.1:${port}`], {
    // Webhooks may reach receivers the tests run on loopback.
    env: { ...process.env, ANVIL_PUBLIC_URL: url, ANVIL_RATE_LIMITS: "off", ANVIL_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1", RUST_LOG: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => { log += d; });
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url + "/readyz");
      if (r.ok) break;
    } catch (_) { /* not up yet */ }
    if (child.exitCode !== null) throw new Error("the forge exited: " + log);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  const { chromium: pw } = await import("playwright-core");
  mkdirSync(shots, { recursive: true });
  return pw.launch({
    executablePath: chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/// A page that fails the test on any CSP violation, script error or request off this origin.
export async function watchedPage(context, origin) {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of (4\d\d)/.test(m.text())) problems.push("console: " + m.text());
  });
  page.on("pageerror", (e) => problems.push("script error: " + e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) problems.push("off-site request: " + r.url());
  });
  page.problems = problems;
  return page;
}
