// Small behaviours of every page: `/` focuses the search box when there is one, and a form's
// error summary takes focus so a screen reader announces it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable);
    if (e.key === "/" && !typing) {
      var search = document.querySelector("[data-search]");
      if (search) { e.preventDefault(); search.focus(); }
    }
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

  // Live updates: the organisation's one event stream, each event turned into DOM events on
  // the body (`anvil:prompt_set:<id>`, `anvil:prompt:<id>`, `anvil:project:<id>`) that the
  // fragments on screen listen to (htmx `hx-trigger="... from:body"`) or the editor handles.
  var org = document.body.getAttribute("data-organisation");
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
      if (e.type === "channel.moved" && document.querySelector('[data-watch-set="' + p.prompt_set_id + '"]')) {
        toast(p.channel + " now serves " + p.to, p.from ? "It served " + p.from + "." : null);
      }
    };
    types.forEach(function (t) { source.addEventListener(t, onEvent); });
    document.body.setAttribute("data-live", "connecting");
    source.addEventListener("open", function () { document.body.setAttribute("data-live", "open"); });
    source.addEventListener("error", function () { document.body.setAttribute("data-live", "reconnecting"); });
  }
})();
