// Small behaviours of every page: `/` focuses the search box when there is one, and a form's
// error summary takes focus so a screen reader announces it.
(function () {
  "use strict";
  // The command palette (Ctrl/Cmd+K or `/`): the organisation's pages and a search of its
  // projects, sets and prompts. A modal <dialog> keeps focus inside; closing it gives focus
  // back to where it was.
  var palette = document.getElementById("palette");
  var shortcuts = document.getElementById("shortcuts");
  var org = document.body.getAttribute("data-organisation");
  var opener = null;
  function openDialog(d) {
    if (!d || d.open) { return; }
    opener = document.activeElement;
    d.showModal();
  }
  [palette, shortcuts].forEach(function (d) {
    if (d) { d.addEventListener("close", function () { if (opener && opener.focus) { opener.focus(); } opener = null; }); }
  });
  if (palette) {
    var input = document.getElementById("palette-input");
    var list = document.getElementById("palette-results");
    var pages = Array.prototype.map.call(document.getElementById("palette-pages").content.querySelectorAll("li"), function (li) {
      return { label: li.firstChild.textContent.trim(), hint: "page", href: li.getAttribute("data-href") };
    });
    var items = [];
    var active = 0;
    var run = 0;
    var draw = function () {
      list.replaceChildren();
      items.forEach(function (it, i) {
        var li = document.createElement("li");
        li.id = "palette-item-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        var a = document.createElement("span");
        a.textContent = it.label;
        var hint = document.createElement("span");
        hint.className = "muted mono";
        hint.textContent = " " + it.hint;
        li.appendChild(a);
        li.appendChild(hint);
        li.addEventListener("click", function () { location.href = it.href; });
        list.appendChild(li);
      });
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "Nothing matches.";
        list.appendChild(none);
      }
      input.setAttribute("aria-activedescendant", items.length ? "palette-item-" + active : "");
    };
    var search = function () {
      var q = input.value.trim().toLowerCase();
      var mine = ++run;
      items = pages.filter(function (p) { return p.label.toLowerCase().indexOf(q) >= 0; });
      active = 0;
      draw();
      if (!q) { return; }
      fetch("/api/v1/search?q=" + encodeURIComponent(q), { headers: { Accept: "application/json", "X-Anvil-Organisation": org } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) {
          if (mine !== run) { return; }
          body.results.forEach(function (h) {
            items.push({ label: h.name, hint: h.address, href: "/o/" + encodeURIComponent(org) + "/" + h.address });
          });
          draw();
        })
        .catch(function () { /* the pages still match */ });
    };
    input.addEventListener("input", search);
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (items.length) { active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length; draw(); }
      } else if (e.key === "Enter" && items[active]) {
        e.preventDefault();
        location.href = items[active].href;
      }
    });
    palette.addEventListener("click", function (e) { if (e.target === palette) { palette.close(); } });
    document.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("[data-open-palette]")) { openDialog(palette); input.value = ""; search(); }
      if (e.target.closest && e.target.closest("[data-open-shortcuts]")) { openDialog(shortcuts); }
    });
  }
  var pendingG = 0;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    var open = (palette && palette.open) || (shortcuts && shortcuts.open);
    if (palette && (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
      e.preventDefault();
      if (palette.open) { palette.close(); } else { openDialog(palette); input.value = ""; search(); }
      return;
    }
    if (typing || open || e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "/" && palette) { e.preventDefault(); openDialog(palette); input.value = ""; search(); return; }
    if (e.key === "?" && shortcuts) { e.preventDefault(); openDialog(shortcuts); return; }
    if (e.key === "g") { pendingG = Date.now(); return; }
    if (e.key === "p" && org && Date.now() - pendingG < 1000) { location.href = "/o/" + encodeURIComponent(org); }
    if (e.key === "s" && org && Date.now() - pendingG < 1000) { location.href = "/o/" + encodeURIComponent(org) + "/settings"; }
    pendingG = 0;
  });
  // Copy buttons: `data-copy` names the element whose text goes to the clipboard.
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-copy]") : null;
    if (!b || !navigator.clipboard) { return; }
    var from = document.getElementById(b.getAttribute("data-copy"));
    if (!from) { return; }
    navigator.clipboard.writeText(from.textContent).then(function () {
      var label = b.textContent;
      b.textContent = "Copied";
      setTimeout(function () { b.textContent = label; }, 1500);
    });
  });
  // The theme toggle: system → light → dark → system, kept in a cookie for a year.
  var toggle = document.querySelector("[data-theme-toggle]");
  var themes = { "": "follow the system", light: "light", dark: "dark" };
  var showTheme = function () {
    var t = document.documentElement.getAttribute("data-theme") || "";
    toggle.setAttribute("aria-label", "Colour theme: " + themes[t]);
    toggle.title = "Colour theme: " + themes[t];
  };
  if (toggle) {
    showTheme();
    toggle.addEventListener("click", function () {
      var now = document.documentElement.getAttribute("data-theme") || "";
      var next = now === "" ? "light" : now === "light" ? "dark" : "";
      if (next) {
        document.documentElement.setAttribute("data-theme", next);
        document.cookie = "anvil_theme=" + next + "; path=/; max-age=31536000; samesite=lax";
      } else {
        document.documentElement.removeAttribute("data-theme");
        document.cookie = "anvil_theme=; path=/; max-age=0; samesite=lax";
      }
      showTheme();
    });
  }
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // Toasts: background news with at most one action; never a modal.
  function toast(title, text, action) {
    var box = document.getElementById("toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.className = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var t = document.createElement("div");
    t.className = "toast";
    var strong = document.createElement("strong");
    strong.textContent = title;
    t.appendChild(strong);
    if (text) { var p = document.createElement("p"); p.textContent = text; t.appendChild(p); }
    if (action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = action.label;
      b.addEventListener("click", action.run);
      t.appendChild(b);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "small";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "✕";
    close.addEventListener("click", function () { t.remove(); });
    t.appendChild(close);
    box.appendChild(t);
    setTimeout(function () { t.remove(); }, 15000);
  }
  window.anvilToast = toast;

  // htmx requests carry the session's CSRF token as a header (forms carry it as a field).
  var csrf = document.querySelector('meta[name="anvil-csrf"]');
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf.getAttribute("content"); }
  });

  // A pressed submit button says at once that something is happening, and cannot be pressed
  // twice; coming back to the page (the back button) makes it usable again.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || form.method === "dialog" || form.hasAttribute("data-no-busy")) { return; }
    var button = e.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (!button) { return; }
    button.setAttribute("aria-busy", "true");
    // After this tick, so the pressed button's name and value still go with the form.
    setTimeout(function () { button.disabled = true; }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (b) {
      b.removeAttribute("aria-busy");
      b.disabled = false;
    });
  });

  // The top bar's menus are <details>: one open at a time, closed by Esc (focus back on its
  // summary) and by a click outside.
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.menu"));
  menus.forEach(function (m) {
    m.addEventListener("toggle", function () {
      if (m.open) { menus.forEach(function (o) { if (o !== m) { o.open = false; } }); }
    });
    m.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && m.open) { m.open = false; m.querySelector("summary").focus(); e.stopPropagation(); }
    });
  });
  document.addEventListener("click", function (e) {
    menus.forEach(function (m) { if (m.open && !m.contains(e.target)) { m.open = false; } });
  });

  // Live updates: the organisation's one event stream, each event turned into DOM events on
  // the body (`anvil:prompt_set:<id>`, `anvil:prompt:<id>`, `anvil:project:<id>`) that the
  // fragments on screen listen to (htmx `hx-trigger="... from:body"`) or the editor handles.
  if (org && window.EventSource) {
    var types = ["project.created", "project.updated", "project.deleted", "project.restored",
      "prompt_set.created", "prompt_set.updated", "prompt_set.deleted", "prompt_set.status_changed",
      "prompt_set.restored", "prompt.created", "prompt.updated", "prompt.deleted",
      "version.created", "version.yanked", "version.unyanked",
      "channel.moved", "channel.updated", "channel.deleted"];
    var source = new EventSource("/api/v1/events?organisation=" + encodeURIComponent(org));
    var fire = function (name, detail) {
      document.body.dispatchEvent(new CustomEvent(name, { detail: detail }));
    };
    var onEvent = function (m) {
      var e;
      try { e = JSON.parse(m.data); } catch (_) { return; }
      var p = e.payload || {};
      if (p.prompt_set_id) { fire("anvil:prompt_set:" + p.prompt_set_id, e); }
      if (p.prompt_id) { fire("anvil:prompt:" + p.prompt_id, e); }
      if (p.project_id || e.project_id) { fire("anvil:project:" + (p.project_id || e.project_id), e); }
      fire("anvil:event", e);
      if (p.prompt_set_id && document.querySelector('[data-stale-on-set="' + p.prompt_set_id + '"]')) {
        // This page shows the set as it was when opened and does not refresh itself.
        toast((changed[e.type] || e.type) + (p.label ? " " + p.label : ""), "Changed elsewhere since this page was opened.",
          { label: "Reload", run: function () { location.reload(); } });
        return;
      }
      var watched = document.querySelector('[data-watch-set="' + p.prompt_set_id + '"]') ||
        document.querySelector('[data-watch-project="' + (e.project_id || p.project_id) + '"]');
      if (!watched) { return; }
      if (e.type === "channel.moved") {
        toast(p.channel + " now serves " + p.to, p.from ? "It served " + p.from + "." : null);
      } else if (changed[e.type]) {
        // The list refreshes itself (htmx); the toast says why it changed.
        toast(changed[e.type] + (p.label ? " " + p.label : p.name ? ": " + p.name : ""), "Changed elsewhere; the page shows it now.");
      }
    };
    var changed = {
      "prompt_set.created": "A prompt set was created", "prompt_set.updated": "This set's settings changed",
      "prompt_set.deleted": "A prompt set was deleted", "prompt_set.status_changed": "The set's status changed",
      "prompt.created": "A prompt was added", "prompt.updated": "A prompt was saved", "prompt.deleted": "A prompt was deleted",
      "version.created": "Version cut", "version.yanked": "Version yanked", "version.unyanked": "Version unyanked",
      "channel.updated": "A channel changed", "channel.deleted": "A channel was deleted",
      "channel.moved": "A channel moved"
    };
    types.forEach(function (t) { source.addEventListener(t, onEvent); });
    document.body.setAttribute("data-live", "connecting");
    source.addEventListener("open", function () { document.body.setAttribute("data-live", "open"); });
    source.addEventListener("error", function () { document.body.setAttribute("data-live", "reconnecting"); });
  }
})();
