// The web UI in a real browser against a real forge: the editor flow from sign-up to a
// channel move, a stale save, live updates between two sessions, keyboard use, and axe-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { launch, missing, shots, startForge, watchedPage } from "./forge.mjs";

const skip = missing();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
let forge;
let browser;

before(async () => {
  if (skip) return;
  forge = await startForge();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (forge) await forge.stop();
});

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name + ".png"), fullPage: true });
}

/// Screenshots of a page in both themes at 1280 px and 360 px, each checked by axe-core
/// (contrast differs by theme; the stacked layout by width).
async function everyLook(page, name) {
  const size = page.viewportSize();
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 900 });
      await shot(page, `${name}-${scheme}-${width}`);
      await accessible(page, `${name} (${scheme}, ${width} px)`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `${name} at ${width} px is ${wide} px wide: something sticks out sideways`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize(size);
}

/// Runs axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays
/// on) and fails on serious or critical violations.
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe-core found serious problems on ${what}`,
  );
}

async function signUp(page, email) {
  await page.goto(forge.url + "/sign_up");
  await page.fill("#name", "Ada Lovelace");
  await page.fill("#email", email);
  await page.fill("#password", "correct horse battery staple");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/o\/[^/]+$/);
  return new URL(page.url()).pathname; // /o/{org}
}

/// Calls the API from the page, with its session cookie: (method, path, body, headers) to
/// { status, body }.
function apiOf(page) {
  return async (method, path, body, headers) => page.evaluate(async ([method, path, body, headers]) => {
    const r = await fetch("/api/v1" + path, { method, headers: { "Content-Type": "application/json", ...headers }, body: body && JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, [method, path, body, headers]);
}

async function editorReady(page) {
  await page.waitForSelector("#editor .cm-content");
}

/// Replaces the editor's text as a user would: select all, then type.
async function typeTemplate(page, text) {
  await page.click("#editor .cm-content");
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

async function save(page) {
  await page.keyboard.press("Control+s");
  await page.waitForFunction(() => !["Saving…", "Unsaved changes"].includes(document.getElementById("save-status").textContent));
  assert.equal(await page.textContent("#save-status"), "Saved");
}

test("the editor flow: sign up, create, a parse error at its line, declare, preview, save, cut, move, diff", { skip: skip || false, timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await watchedPage(context, forge.url);
  const org = await signUp(page, "flow@example.com");
  await everyLook(page, "dashboard-empty");

  await page.click("text=New project");
  await page.fill("#name", "Support");
  await page.click("button:has-text('Create')");
  await page.waitForURL(forge.url + org + "/support");
  await page.click("text=New prompt set");
  await page.fill("#name", "Emails");
  await page.click("button:has-text('Create')");
  await page.waitForURL(forge.url + org + "/support/emails");
  await page.click("text=Create the first prompt");
  await page.fill("#name", "Welcome");
  await page.click("button:has-text('Create')");
  await page.waitForURL(forge.url + org + "/support/emails/welcome");
  await editorReady(page);

  // A parse error is marked at its line and column.
  await typeTemplate(page, "Hello {{ name }}!\n{% iff vip %}Thanks for staying with us.{% endif %}\n");
  await page.waitForSelector("#editor .cm-lint-marker-error");
  await page.waitForFunction(() => /Line 2, column \d+/.test(document.getElementById("problems").textContent));
  // The marker sits beside the second line, not the first.
  const rows = await page.evaluate(() => {
    const marker = document.querySelector("#editor .cm-lint-marker-error").closest(".cm-gutterElement").getBoundingClientRect();
    const lines = [...document.querySelectorAll("#editor .cm-line")].map((l) => l.getBoundingClientRect());
    return lines.map((l) => Math.abs(l.top - marker.top) < 2);
  });
  assert.deepEqual(rows.slice(0, 2), [false, true]);
  await shot(page, "editor-parse-error");

  // Fixed, the missing parameters are offered; declaring them is one click each.
  await typeTemplate(page, "Hello {{ name }}!\n{% if vip %}Thanks for staying with us.{% endif %}\n");
  await page.waitForSelector("button:has-text('Declare name')");
  await page.click("button:has-text('Declare name')");
  await page.click("button:has-text('Declare vip')");
  await page.selectOption("#param-1-type", "boolean");
  await page.uncheck("#param-1-required");
  await page.waitForFunction(() => document.getElementById("problems").textContent.includes("every variable is declared"));

  // The preview renders the unsaved draft with the variables form built from the parameters.
  await page.fill("#var-name", "Ada");
  await page.check("#var-vip");
  await page.waitForFunction(() => document.getElementById("preview").textContent === "Hello Ada!\nThanks for staying with us.\n");
  await save(page);
  await everyLook(page, "editor");

  // Saved for real: the API reads it back.
  const saved = await page.evaluate(async () => (await (await fetch(location.pathname.replace(/^\/o\/[^/]+/, "/api/v1/prompts/by_address"))).json()));
  assert.equal(saved.prompt.template, "Hello {{ name }}!\n{% if vip %}Thanks for staying with us.{% endif %}\n");
  assert.deepEqual(saved.prompt.parameters.map((p) => [p.name, p.type, p.required]), [["name", "string", true], ["vip", "boolean", false]]);

  // Cut 1.0.0 from the suggestion.
  await page.goto(forge.url + org + "/support/emails");
  await page.click("text=Cut a version…");
  await page.waitForSelector("text=The forge suggests");
  assert.equal(await page.inputValue("#label"), "1.0.0");
  await page.fill("#description", "First welcome email");
  await page.click("button:has-text('Cut 1.0.0')");
  await page.waitForURL(/\/v\/1\.0\.0$/);
  assert.match(await page.textContent("main"), /Frozen: a version never changes/);

  // production at 1.0.0, through the confirmation page.
  await page.goto(forge.url + org + "/support/emails");
  await page.click("summary:has-text('New channel')");
  await page.fill("#new-channel-name", "production");
  await page.click("button:has-text('Create…')");
  await page.click("button:has-text('Create production')");
  await page.waitForSelector("tr[data-channel=production]");
  assert.match(await page.textContent("tr[data-channel=production]"), /1\.0\.0/);

  // A change, a second version, and moving production shows the diff it will ship.
  await page.goto(forge.url + org + "/support/emails/welcome");
  await editorReady(page);
  await typeTemplate(page, "Hi {{ name }}!\n{% if vip %}Thanks for staying with us.{% endif %}\n");
  await save(page);
  await page.goto(forge.url + org + "/support/emails/-/cut");
  const next = await page.inputValue("#label");
  assert.notEqual(next, "1.0.0");
  await page.click(`button:has-text('Cut ${next}')`);
  await page.waitForURL(new RegExp(`/v/${next.replace(/\./g, "\\.")}$`));
  await page.goto(forge.url + org + "/support/emails");
  await page.selectOption("#move-production", next);
  await page.click("tr[data-channel=production] button:has-text('Move…')");
  await page.waitForSelector(".diff .del");
  assert.equal((await page.textContent(".diff .del")).trim(), "Hello {{ name }}!");
  assert.equal((await page.textContent(".diff .ins")).trim(), "Hi {{ name }}!");
  await accessible(page, "the channel move confirmation");
  await shot(page, "move-channel");
  await page.click(`button:has-text('Move production to ${next}')`);
  await page.waitForURL(forge.url + org + "/support/emails");
  assert.match(await page.textContent("tr[data-channel=production]"), new RegExp(next.replace(/\./g, "\\.")));
  await everyLook(page, "prompt-set");

  // The diff view between the two versions.
  await page.goto(forge.url + org + `/support/emails/diff?from=1.0.0&to=${next}`);
  assert.equal((await page.textContent(".diff .ins")).trim(), "Hi {{ name }}!");
  await accessible(page, "the diff view");
  await page.goto(forge.url + org + "/support/emails/v/1.0.0");
  await everyLook(page, "version");
  await page.goto(forge.url + org + "/support");
  await everyLook(page, "project");

  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  await context.close();
});

test("a stale save shows the other version instead of overwriting it", { skip: skip || false, timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await watchedPage(context, forge.url);
  const org = await signUp(page, "conflict@example.com");
  const api = apiOf(page);
  const slug = org.split("/")[2];
  const p = await api("POST", "/projects", { name: "Docs" }, { "X-Anvil-Organisation": slug });
  const s = await api("POST", `/projects/${p.body.project.id}/prompt_sets`, { name: "Pages" });
  const pr = await api("POST", `/prompt_sets/${s.body.prompt_set.id}/prompts`, { name: "Intro", template: "Original text\n" });
  assert.equal(pr.status, 201);

  await page.goto(forge.url + org + "/docs/pages/intro");
  await editorReady(page);
  // Someone else saves meanwhile (another tab, the CLI): no If-Match, so it goes in.
  assert.equal((await api("PATCH", `/prompts/${pr.body.prompt.id}`, { template: "Their text\n" })).status, 200);

  await typeTemplate(page, "My text\n");
  await page.keyboard.press("Control+s");
  await page.waitForSelector("#conflict:not([hidden])");
  assert.match(await page.textContent("#save-status"), /someone else saved first/);
  assert.match(await page.textContent("#conflict-diff"), /Their text/);
  assert.match(await page.textContent("#conflict-diff"), /My text/);
  assert.equal((await api("GET", `/prompts/${pr.body.prompt.id}`)).body.prompt.template, "Their text\n", "nothing was overwritten");
  await shot(page, "editor-conflict");

  await page.click("#take-theirs");
  assert.equal(await page.evaluate(() => document.querySelector("#editor .cm-content").textContent), "Their text");
  await typeTemplate(page, "Merged text\n");
  await save(page);
  assert.equal((await api("GET", `/prompts/${pr.body.prompt.id}`)).body.prompt.template, "Merged text\n");
  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  await context.close();
});

test("a second session sees a channel move live, without a reload", { skip: skip || false, timeout: 60_000 }, async () => {
  const first = await browser.newContext();
  const page = await watchedPage(first, forge.url);
  const org = await signUp(page, "live@example.com");
  const slug = org.split("/")[2];
  const api = apiOf(page);
  const p = await api("POST", "/projects", { name: "Shop" }, { "X-Anvil-Organisation": slug });
  const s = await api("POST", `/projects/${p.body.project.id}/prompt_sets`, { name: "Checkout" });
  const set = s.body.prompt_set.id;
  await api("POST", `/prompt_sets/${set}/prompts`, { name: "Thanks", template: "Thanks!\n" });
  await api("POST", `/prompt_sets/${set}/versions`, { label: "1.0.0" });
  await api("PUT", `/prompt_sets/${set}/channels/production`, { version: "1.0.0" });
  await api("PATCH", `/prompt_sets/${set}`, { description: "the checkout emails" });
  await api("POST", `/prompt_sets/${set}/prompts`, { name: "Receipt", template: "Receipt\n" });
  await api("POST", `/prompt_sets/${set}/versions`, { label: "1.1.0" });

  // The same user signed in a second time: another session, another browser.
  const second = await browser.newContext();
  const other = await watchedPage(second, forge.url);
  await other.goto(forge.url + "/sign_in");
  await other.fill("#email", "live@example.com");
  await other.fill("#password", "correct horse battery staple");
  await other.click("button[type=submit]");
  await other.waitForURL(/\/o\//);
  await other.goto(forge.url + org + "/shop/checkout");
  await other.waitForFunction(() => document.body.getAttribute("data-live") === "open");
  assert.match(await other.textContent("tr[data-channel=production]"), /1\.0\.0/);

  // The first session looks at a version page, which does not refresh itself.
  await page.goto(forge.url + org + "/shop/checkout/v/1.0.0");
  await page.waitForFunction(() => document.body.getAttribute("data-live") === "open");
  const moved = Date.now();
  assert.equal((await api("PUT", `/prompt_sets/${set}/channels/production`, { version: "1.1.0" })).status, 200);
  await other.waitForFunction(() => /1\.1\.0/.test(document.querySelector("tr[data-channel=production]").textContent), null, { timeout: 2000 });
  const seen = Date.now() - moved;
  assert.ok(seen < 2000, `seen after ${seen} ms`);
  await other.waitForSelector(".toast:has-text('production now serves 1.1.0')");
  // The version page offers a reload instead.
  await page.waitForSelector(".toast:has-text('A channel moved') button:has-text('Reload')", { timeout: 2000 });
  await shot(other, "live-channel-move");
  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  assert.deepEqual(other.problems, []);
  await first.close();
  await second.close();
});

test("keyboard only: skip link, forms and the editor's save", { skip: skip || false, timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await watchedPage(context, forge.url);
  const org = await signUp(page, "keys@example.com");
  await page.goto(forge.url + org);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  // Tab until the New project link, then follow it with Enter.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement.textContent)) === "New project") break;
  }
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/-\/new$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "name", "the form's first field has focus");
  await page.keyboard.type("Keyboard");
  await page.keyboard.press("Enter");
  await page.waitForURL(forge.url + org + "/keyboard");
  // The focus ring is visible on a focused control.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, "solid");
  // The editor without a mouse: Tab into the template, type, Ctrl+S.
  const api = apiOf(page);
  const project = (await api("GET", "/projects/by_slug/keyboard", null, { "X-Anvil-Organisation": org.split("/")[2] })).body.project;
  const set = (await api("POST", `/projects/${project.id}/prompt_sets`, { name: "Notes" })).body.prompt_set;
  await api("POST", `/prompt_sets/${set.id}/prompts`, { name: "Hello", template: "Hello\n" });
  await page.goto(forge.url + org + "/keyboard/notes/hello");
  await editorReady(page);
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement.classList.contains("cm-content"))) break;
  }
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains("cm-content")), "Tab reaches the template");
  await page.keyboard.press("Control+End");
  await page.keyboard.type("Typed by keyboard");
  await save(page);
  const saved = (await api("GET", `/prompt_sets/${set.id}/prompts`)).body.prompts[0].template;
  assert.match(saved, /Typed by keyboard/);
  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  await context.close();
});

test("the command palette and shortcuts: Ctrl+K, search, arrows, Enter, Esc, ?, g p", { skip: skip || false, timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await watchedPage(context, forge.url);
  const org = await signUp(page, "palette@example.com");
  const slug = org.split("/")[2];
  const api = apiOf(page);
  const p = await api("POST", "/projects", { name: "Support" }, { "X-Anvil-Organisation": slug });
  const s = await api("POST", `/projects/${p.body.project.id}/prompt_sets`, { name: "Emails" });
  await api("POST", `/prompt_sets/${s.body.prompt_set.id}/prompts`, { name: "Refund policy", template: "We refund within 30 days.\n" });

  await page.goto(forge.url + org + "/support");
  const before = await page.evaluate(() => { document.querySelector("main a, main button").focus(); return document.activeElement.outerHTML; });
  await page.keyboard.press("Control+k");
  await page.waitForSelector("#palette[open]");
  assert.equal(await page.evaluate(() => document.activeElement.id), "palette-input");
  await page.keyboard.type("refund");
  await page.waitForSelector("#palette-results li:has-text('Refund policy')");
  await accessible(page, "the command palette");
  await shot(page, "palette");
  // Esc closes it and gives focus back.
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.getElementById("palette").open), false);
  assert.equal(await page.evaluate(() => document.activeElement.outerHTML), before);

  // `/` opens it too; arrows choose, Enter opens the prompt's editor.
  await page.keyboard.press("/");
  await page.waitForSelector("#palette[open]");
  await page.keyboard.type("refund");
  await page.waitForSelector("#palette-results li:has-text('Refund policy')");
  const options = await page.$$eval("#palette-results [role=option]", (els) => els.map((e) => e.textContent));
  const target = options.findIndex((t) => t.includes("Refund policy"));
  for (let i = 0; i < target; i++) await page.keyboard.press("ArrowDown");
  assert.match(await page.textContent("#palette-results [aria-selected=true]"), /Refund policy/);
  await page.keyboard.press("Enter");
  await page.waitForURL(forge.url + org + "/support/emails/refund-policy");

  // `?` lists the shortcuts; `g p` goes to the projects.
  await page.click("h1");
  await page.keyboard.press("?");
  await page.waitForSelector("#shortcuts[open]");
  await page.keyboard.press("Escape");
  await page.keyboard.press("g");
  await page.keyboard.press("p");
  await page.waitForURL(forge.url + org);
  await page.click("h1");
  await page.keyboard.press("g");
  await page.keyboard.press("s");
  await page.waitForURL(forge.url + org + "/settings");
  await accessible(page, "the organisation settings");
  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  await context.close();
});

test("the theme toggle is kept in a cookie and applied before the page paints", { skip: skip || false, timeout: 60_000 }, async () => {
  const context = await browser.newContext({ colorScheme: "light" });
  const page = await watchedPage(context, forge.url);
  await page.goto(forge.url + "/");
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const light = await bg();
  await page.click("[data-theme-toggle]"); // system -> light
  await page.click("[data-theme-toggle]"); // light -> dark
  assert.equal(await page.getAttribute("html", "data-theme"), "dark");
  assert.notEqual(await bg(), light);
  // A new page has it from the first script, before the deferred ones run.
  await page.goto(forge.url + "/sign_in", { waitUntil: "commit" });
  await page.waitForSelector("body");
  assert.equal(await page.getAttribute("html", "data-theme"), "dark");
  await page.waitForLoadState("load");
  assert.equal(await bg(), "rgb(11, 15, 12)");
  await accessible(page, "the sign-in page in the dark theme");
  await page.click("[data-theme-toggle]"); // dark -> system
  assert.equal(await page.getAttribute("html", "data-theme"), null);
  assert.equal(await bg(), light);
  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  await context.close();
});

test("the organisation's pages: one-row top bar, menus, live lists, webhooks and their log", { skip: skip || false, timeout: 90_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await watchedPage(context, forge.url);
  const org = await signUp(page, "organisation@example.com");
  const slug = org.split("/")[2];
  const api = apiOf(page);

  // At 1280 px the signed-in top bar is one row, the long address cut short, not wrapped.
  await page.goto(forge.url + org + "/members");
  const rows = await page.evaluate(() => new Set(Array.from(document.querySelectorAll("header.top > *"))
    .filter((e) => e.offsetParent !== null)
    .map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))).size);
  assert.equal(rows, 1, "the top bar's items sit on one row");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "nothing sticks out sideways");
  // The menus: open on click, one at a time, closed by Esc with focus back on the button.
  await page.click(".user-menu summary");
  assert.ok(await page.isVisible(".user-menu .menu-list"));
  await page.click(".org-switcher summary");
  assert.ok(await page.isVisible(".org-switcher .menu-list"));
  assert.ok(!(await page.isVisible(".user-menu .menu-list")), "one menu at a time");
  await page.keyboard.press("Escape");
  assert.ok(!(await page.isVisible(".org-switcher .menu-list")));
  assert.equal(await page.evaluate(() => document.activeElement.closest("details")?.className), "menu org-switcher");

  // The organisation's other pages, in both themes and widths.
  for (const [path, name] of [["/account", "account"], [org + "/members", "members"], [org + "/keys", "keys"], [org + "/audit", "audit"], [org + "/settings", "org-settings"]]) {
    await page.goto(forge.url + path);
    await everyLook(page, name);
  }
  // A pressed submit button shows that it is working and cannot be pressed twice.
  await page.goto(forge.url + org + "/keys");
  await page.fill("#name", "ci");
  // The answer is held back a moment, to look at the button meanwhile.
  await page.route("**/keys", async (route) => {
    if (route.request().method() === "POST") await new Promise((ok) => setTimeout(ok, 700));
    await route.continue();
  });
  const created = page.waitForNavigation();
  // Pressed from the page itself, and looked at 50 ms later, while the answer is held back
  // (Playwright's own click and selectors would wait for the navigation).
  const [busy, disabled] = await page.evaluate(async () => {
    const b = Array.from(document.querySelectorAll("button")).find((x) => x.textContent === "Create key");
    b.click();
    await new Promise((ok) => setTimeout(ok, 50));
    return [b.getAttribute("aria-busy"), b.disabled];
  });
  assert.equal(busy, "true", "the button shows it is working");
  assert.ok(disabled, "and cannot be pressed twice");
  await created;
  await page.unroute("**/keys");
  assert.ok(await page.isVisible("#new-key"));

  // The dashboard and a project page refresh their lists when content changes elsewhere.
  const p = await api("POST", "/projects", { name: "Shop" }, { "X-Anvil-Organisation": slug });
  await page.goto(forge.url + org);
  await page.waitForFunction(() => document.body.getAttribute("data-live") === "open");
  await page.evaluate(() => { window.notReloaded = true; });
  assert.equal((await api("POST", "/projects", { name: "Billing" }, { "X-Anvil-Organisation": slug })).status, 201);
  await page.waitForSelector(".cards a:has-text('Billing')", { timeout: 2000 });
  await page.goto(forge.url + org + "/shop");
  await page.waitForFunction(() => document.body.getAttribute("data-live") === "open");
  await page.evaluate(() => { window.notReloaded = true; });
  assert.equal((await api("POST", `/projects/${p.body.project.id}/prompt_sets`, { name: "Receipts" })).status, 201);
  await page.waitForSelector("table a:has-text('Receipts')", { timeout: 2000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true, "no reload");

  // A webhook to a receiver here: its secret shown once, then its delivery log.
  const got = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => { got.push(JSON.parse(body)); res.writeHead(got.length === 1 ? 503 : 204).end(); });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/anvil`;
  await page.goto(forge.url + org + "/webhooks");
  await everyLook(page, "webhooks-empty");
  await page.fill("#url", "not a url");
  await page.click("button:has-text('Add webhook')");
  await page.waitForSelector(".summary");
  assert.equal(await page.evaluate(() => document.activeElement.hasAttribute("data-error-summary")), true, "focus moves to the summary");
  await page.fill("#url", hookUrl);
  await page.fill("#events", "prompt_set.*");
  await page.click("button:has-text('Add webhook')");
  const secret = await page.textContent("#new-secret");
  assert.match(secret, /^whsec_/);
  await api("POST", `/projects/${p.body.project.id}/prompt_sets`, { name: "Invoices" });
  await page.click(`a:has-text('${hookUrl}')`);
  // The first attempt got a 503, the retry a 204: both in the log, newest first.
  for (let i = 0; i < 100; i++) {
    if ((await page.locator("tr[data-delivery]").count()) >= 2) break;
    await page.waitForTimeout(200);
    await page.reload();
  }
  assert.equal(got[0].type, "prompt_set.created");
  const answers = await page.locator("tr[data-delivery] td[data-label=Answer]").allTextContents();
  assert.deepEqual(answers.map((a) => a.trim()), ["204", "503"]);
  await everyLook(page, "webhook-log");
  // Deleted after the confirmation names it.
  await page.click("summary:has-text('Delete this webhook')");
  assert.match(await page.textContent("details.confirm[open]"), new RegExp(hookUrl.replace(/[.]/g, "\\.")));
  await page.click("button:has-text('Delete the webhook')");
  await page.waitForURL(forge.url + org + "/webhooks");
  await page.waitForSelector("text=No webhooks yet");
  receiver.close();
  assert.deepEqual(page.problems, [], page.problems.join("\n"));
  await context.close();
});
