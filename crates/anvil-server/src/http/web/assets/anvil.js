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
})();
