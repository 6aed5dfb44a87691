// The prompt editor: CodeMirror with Liquid highlighting, lint markers from the forge's
// validate endpoint, the parameters table, a preview that renders the unsaved draft, and
// saving with If-Match so a concurrent save is shown, never overwritten.
import { EditorView, basicSetup } from "codemirror";
import { EditorState, Compartment } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { liquid } from "@codemirror/lang-liquid";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { MergeView } from "@codemirror/merge";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

// CodeMirror adds its styles as <style> elements; the page's CSP allows them with this nonce.
const nonceMeta = document.querySelector('meta[name="anvil-style-nonce"]');
const nonce = nonceMeta ? [EditorView.cspNonce.of(nonceMeta.content)] : [];

// Colours from the page's palette (CSS variables), so both themes keep AA contrast.
const theme = [
  nonce,
  EditorView.theme({
    "&": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--input-border)", borderRadius: "4px" },
    ".cm-content": { fontFamily: "var(--mono)", caretColor: "var(--accent)" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--accent)" },
    ".cm-gutters": { backgroundColor: "var(--surface)", color: "var(--muted)", borderRight: "1px solid var(--border)" },
    ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--accent) 8%, transparent)" },
    "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "color-mix(in srgb, var(--accent-3) 30%, transparent)" },
    "&.cm-focused": { outline: "2px solid var(--accent-2)" },
    ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--input-border)" },
  }),
  syntaxHighlighting(HighlightStyle.define([
    { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword], color: "var(--accent-2)" },
    { tag: [tags.variableName, tags.propertyName], color: "var(--accent-3)" },
    { tag: [tags.string, tags.number, tags.bool, tags.null], color: "var(--accent)" },
    { tag: [tags.function(tags.variableName), tags.operator, tags.punctuation, tags.brace], color: "var(--text)" },
    { tag: [tags.comment, tags.meta], color: "var(--muted)", fontStyle: "italic" },
    { tag: tags.invalid, color: "var(--danger)" },
  ])),
];

const TYPES = ["string", "number", "integer", "boolean", "array", "object"];

const root = document.getElementById("editor");
if (root) start(root);

function api(method, path, body, headers) {
  return fetch("/api/v1" + path, {
    method,
    credentials: "same-origin",
    headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json" }, headers || {}),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

// Character offset of a 1-based line and column, clamped to the document.
function offsetOf(doc, line, column) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max(column - 1, 0), l.to);
}

function start(root) {
  const promptId = root.dataset.promptId;
  const editable = root.dataset.editable === "true";
  let etag = root.dataset.etag;
  let params = JSON.parse(root.dataset.parameters || "[]");
  let saved = { template: null, params: JSON.stringify(params) };
  let report = null;
  const textarea = document.getElementById("template");
  const problems = document.getElementById("problems");
  const saveButton = document.getElementById("save");
  const status = document.getElementById("save-status");
  const preview = document.getElementById("preview");
  const varsForm = document.getElementById("preview-vars");
  const readOnly = new Compartment();

  // Lint: the validate endpoint's parse errors at their line and column, after each change
  // of the template or the parameters (the latest answer wins).
  let validation = 0;
  const runValidation = debounce(async () => {
    const run = ++validation;
    const template = view.state.doc.toString();
    let res;
    try {
      res = await api("POST", "/templates/validate", { template, parameters: params });
    } catch (e) {
      if (run === validation) showProblems(null, "Could not reach the forge to check the template.");
      return;
    }
    const body = await res.json().catch(() => null);
    if (run !== validation) return;
    if (res.status === 422 && body) {
      showProblems(null, (body.error.details || []).map((d) => d.field + ": " + d.message).join("; "));
      view.dispatch(setDiagnostics(view.state, []));
      return;
    }
    if (!res.ok || !body) { showProblems(null, "Checking the template failed (" + res.status + ")."); return; }
    report = body;
    showProblems(report, null);
    const doc = view.state.doc;
    view.dispatch(setDiagnostics(view.state, report.errors.map((e) => {
      const from = offsetOf(doc, e.line || 1, e.column || 1);
      return { from, to: Math.min(from + 1, doc.length), severity: "error", message: e.message };
    })));
  }, 150);

  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        basicSetup,
        theme,
        liquid(),
        lintGutter(),
        EditorView.lineWrapping,
        readOnly.of(EditorState.readOnly.of(!editable)),
        keymap.of([{ key: "Mod-s", preventDefault: true, run: () => { save(false); return true; } }]),
        EditorView.updateListener.of((u) => { if (u.docChanged) changed(); }),
        EditorView.contentAttributes.of({ "aria-label": "Template", "aria-describedby": "problems" }),
      ],
    }),
  });
  saved.template = textarea.value;
  textarea.hidden = true;
  textarea.after(view.dom);

  function dirty() {
    return view.state.doc.toString() !== saved.template || JSON.stringify(params) !== saved.params;
  }

  function changed() {
    if (saveButton) saveButton.disabled = !dirty();
    status.textContent = dirty() ? "Unsaved changes" : "";
    runValidation();
    renderPreview();
  }

  function showProblems(r, failure) {
    problems.replaceChildren();
    if (failure) { problems.append(el("p", { class: "error", text: failure })); return; }
    for (const e of r.errors) {
      problems.append(el("p", { class: "error", text: (e.line ? "Line " + e.line + ", column " + e.column + ": " : "") + e.message }));
    }
    if (r.missing.length) {
      const p = el("p", { class: "warn" }, "Used but not declared: ");
      for (const name of r.missing) {
        const top = name.split(".")[0];
        p.append(el("code", { text: name }), " ");
        if (editable && !params.some((x) => x.name === top)) {
          const b = el("button", { type: "button", class: "small", text: "Declare " + top });
          b.addEventListener("click", () => { params.push({ name: top, type: "string", required: true, description: "" }); paramsChanged(); });
          p.append(b, " ");
        }
      }
      problems.append(p);
    }
    if (r.unused.length) {
      problems.append(el("p", { class: "muted" }, "Declared but not used: ", ...r.unused.map((n) => el("code", { text: n + " " }))));
    }
    if (!r.errors.length && !r.missing.length) problems.append(el("p", { class: "ok", text: "The template parses and every variable is declared." }));
  }

  // The parameters table: edited in place, in order.
  const tbody = document.querySelector("#params tbody");
  const addButton = document.getElementById("add-param");
  function drawParams() {
    tbody.replaceChildren();
    const empty = document.getElementById("params-empty");
    if (empty) empty.hidden = params.length > 0;
    params.forEach((p, i) => {
      const id = "param-" + i + "-";
      const name = el("input", { id: id + "name", class: "mono", value: p.name, "aria-label": "Name of parameter " + (i + 1), readonly: !editable });
      name.addEventListener("change", () => { p.name = name.value.trim(); paramsChanged(); });
      const type = el("select", { id: id + "type", "aria-label": "Type of " + p.name, disabled: !editable });
      for (const t of TYPES) type.append(el("option", { value: t, selected: t === p.type, text: t }));
      type.addEventListener("change", () => { p.type = type.value; paramsChanged(); });
      const req = el("input", { id: id + "required", type: "checkbox", checked: !!p.required, "aria-label": p.name + " is required", disabled: !editable });
      req.addEventListener("change", () => { p.required = req.checked; paramsChanged(); });
      const def = el("input", { id: id + "default", class: "mono", value: p.default === undefined || p.default === null ? "" : JSON.stringify(p.default), placeholder: "none", "aria-label": "Default of " + p.name + " (JSON)", readonly: !editable });
      def.addEventListener("change", () => {
        const v = def.value.trim();
        if (!v) { delete p.default; paramsChanged(); return; }
        try { p.default = JSON.parse(v); def.setCustomValidity(""); } catch (_) { p.default = v; }
        paramsChanged();
      });
      const desc = el("input", { id: id + "description", value: p.description || "", "aria-label": "Description of " + p.name, readonly: !editable });
      desc.addEventListener("change", () => { p.description = desc.value; paramsChanged(); });
      const actions = el("td", { "data-label": "Actions", class: "row-actions" });
      if (editable) {
        const up = el("button", { type: "button", class: "small", "aria-label": "Move " + p.name + " up", text: "↑", disabled: i === 0 });
        up.addEventListener("click", () => { params.splice(i - 1, 0, params.splice(i, 1)[0]); paramsChanged(); });
        const down = el("button", { type: "button", class: "small", "aria-label": "Move " + p.name + " down", text: "↓", disabled: i === params.length - 1 });
        down.addEventListener("click", () => { params.splice(i + 1, 0, params.splice(i, 1)[0]); paramsChanged(); });
        const remove = el("button", { type: "button", class: "small danger", "aria-label": "Remove " + p.name, text: "✕" });
        remove.addEventListener("click", () => { params.splice(i, 1); paramsChanged(); });
        actions.append(up, down, remove);
      }
      tbody.append(el("tr", {},
        el("td", { "data-label": "Name" }, name), el("td", { "data-label": "Type" }, type),
        el("td", { "data-label": "Required" }, req), el("td", { "data-label": "Default" }, def),
        el("td", { "data-label": "Description" }, desc), actions));
    });
    drawVars();
  }
  if (addButton) {
    addButton.hidden = false;
    addButton.addEventListener("click", () => {
      let n = 1;
      while (params.some((p) => p.name === "param_" + n)) n++;
      params.push({ name: "param_" + n, type: "string", required: false, description: "" });
      paramsChanged();
      document.getElementById("param-" + (params.length - 1) + "-name").focus();
    });
  }
  function paramsChanged() { drawParams(); changed(); }

  // The preview's variables form, generated from the parameters.
  const values = {};
  function drawVars() {
    varsForm.replaceChildren();
    varsForm.hidden = params.length === 0;
    for (const p of params) {
      const id = "var-" + p.name;
      let input;
      if (p.type === "boolean") {
        input = el("input", { id, type: "checkbox", checked: values[p.name] === true });
        input.addEventListener("change", () => { values[p.name] = input.checked; renderPreview(); });
      } else {
        const multi = p.type === "string" || p.type === "array" || p.type === "object";
        input = el(multi ? "textarea" : "input", { id, class: p.type === "string" ? "" : "mono", rows: multi ? "2" : null, placeholder: p.type === "array" ? "[…] (JSON)" : p.type === "object" ? "{…} (JSON)" : p.type });
        input.value = values[p.name] === undefined ? "" : (typeof values[p.name] === "string" ? values[p.name] : JSON.stringify(values[p.name]));
        input.addEventListener("input", () => { values[p.name] = input.value; renderPreview(); });
      }
      varsForm.append(el("label", { for: id }, el("span", { class: "mono", text: p.name + (p.required ? " *" : "") }), input));
    }
  }
  // A form value as its parameter's type (what distribution.md says for string arguments).
  function typed(p, raw) {
    if (p.type === "boolean") return raw === true;
    if (p.type === "string") return raw;
    if (p.type === "number" || p.type === "integer") return raw.trim() === "" ? undefined : Number(raw);
    try { return JSON.parse(raw); } catch (_) { return raw; }
  }
  let previewRun = 0;
  const renderPreview = debounce(async () => {
    const variables = {};
    for (const p of params) {
      const v = values[p.name];
      if (v === undefined || v === "") continue;
      const t = typed(p, v);
      if (t !== undefined) variables[p.name] = t;
    }
    const run = ++previewRun;
    preview.setAttribute("aria-busy", "true");
    let res;
    try {
      res = await api("POST", "/prompts/" + promptId + "/render", { variables, draft: { template: view.state.doc.toString(), parameters: params } });
    } catch (_) { if (run === previewRun) { preview.textContent = "Could not reach the forge."; preview.className = "card preview error"; } return; }
    const body = await res.json();
    if (run !== previewRun) return;
    preview.removeAttribute("aria-busy");
    if (res.ok) { preview.textContent = body.rendered; preview.className = "card preview"; return; }
    const details = (body.error && body.error.details) || [];
    preview.textContent = details.length ? details.map((d) => d.field.replace(/^variables\./, "") + ": " + d.message).join("\n") : (body.error ? body.error.message : "Rendering failed");
    preview.className = "card preview error";
  }, 200);

  // Saving: If-Match with the tag the page was loaded with (or the last save's).
  async function save(force) {
    if (!editable || (!dirty() && !force)) return;
    if (saveButton) { saveButton.disabled = true; saveButton.setAttribute("aria-busy", "true"); }
    status.textContent = "Saving…";
    const template = view.state.doc.toString();
    const sent = JSON.stringify(params);
    let res;
    try {
      res = await api("PATCH", "/prompts/" + promptId, { template, parameters: params }, { "If-Match": etag });
    } catch (_) { status.textContent = "Not saved: the forge could not be reached."; if (saveButton) { saveButton.disabled = false; saveButton.removeAttribute("aria-busy"); } return; }
    if (saveButton) saveButton.removeAttribute("aria-busy");
    if (res.ok) {
      etag = res.headers.get("ETag") || etag;
      saved = { template, params: sent };
      document.getElementById("conflict").hidden = true;
      status.textContent = "Saved";
      changed();
      status.textContent = dirty() ? "Unsaved changes" : "Saved";
      return;
    }
    if (res.status === 412) { await conflict(); return; }
    const body = await res.json().catch(() => null);
    const details = (body && body.error && body.error.details) || [];
    status.textContent = "Not saved: " + (details.length ? details.map((d) => d.field + " " + d.message).join("; ") : (body && body.error ? body.error.message : res.status));
    if (saveButton) saveButton.disabled = false;
  }
  if (saveButton) saveButton.addEventListener("click", () => save(false));
  // Ctrl/Cmd+S saves from anywhere on the page (the parameters, the preview), not only the
  // editor, and never opens the browser's "save page" dialog here.
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s" && !e.defaultPrevented) {
      e.preventDefault();
      save(false);
    }
  });

  // Someone else saved first: show theirs beside ours; the user chooses.
  let merge = null;
  let theirs = null;
  async function conflict() {
    const res = await api("GET", "/prompts/" + promptId);
    const body = await res.json();
    theirs = { prompt: body.prompt, etag: res.headers.get("ETag") };
    status.textContent = "Not saved: someone else saved first.";
    const box = document.getElementById("conflict");
    const target = document.getElementById("conflict-diff");
    if (merge) merge.destroy();
    target.replaceChildren();
    merge = new MergeView({
      a: { doc: theirs.prompt.template, extensions: [theme, EditorView.editable.of(false), EditorState.readOnly.of(true), EditorView.lineWrapping] },
      b: { doc: view.state.doc.toString(), extensions: [theme, EditorView.editable.of(false), EditorState.readOnly.of(true), EditorView.lineWrapping] },
      parent: target,
    });
    const theirParams = JSON.stringify(theirs.prompt.parameters);
    if (theirParams !== JSON.stringify(params)) {
      target.append(el("p", { class: "warn", text: "Parameters differ too. Theirs: " + theirs.prompt.parameters.map((p) => p.name + ": " + p.type).join(", ") }));
    }
    box.hidden = false;
    box.querySelector("button").focus();
    if (saveButton) saveButton.disabled = false;
  }
  document.getElementById("take-theirs").addEventListener("click", () => {
    if (!theirs) return;
    etag = theirs.etag;
    params = theirs.prompt.parameters;
    saved = { template: theirs.prompt.template, params: JSON.stringify(params) };
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: theirs.prompt.template } });
    document.getElementById("conflict").hidden = true;
    drawParams();
    changed();
    status.textContent = "Loaded their version";
    view.focus();
  });
  document.getElementById("keep-mine").addEventListener("click", () => {
    if (!theirs) return;
    etag = theirs.etag;
    save(true);
  });

  // Another session changed this prompt: say so (our own save has our tag, so it is quiet).
  document.body.addEventListener("anvil:prompt:" + promptId, async () => {
    const res = await api("GET", "/prompts/" + promptId);
    if (!res.ok) return;
    if (res.headers.get("ETag") === etag) return;
    window.anvilToast && window.anvilToast("Someone else saved this prompt.", dirty() ? "Saving will show both versions." : "Reload to see it.", dirty() ? null : { label: "Reload", run: () => location.reload() });
  });

  drawParams();
  runValidation();
  renderPreview();
}
