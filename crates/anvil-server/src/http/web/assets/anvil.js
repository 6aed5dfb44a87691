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
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
})();
