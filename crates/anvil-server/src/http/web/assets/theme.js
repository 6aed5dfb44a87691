// Runs in <head> before the page paints: applies the theme stored by the toggle (a cookie,
// `anvil_theme=light|dark`; none follows the system), so a page never flashes the other one.
(function () {
  "use strict";
  var m = /(?:^|;\s*)anvil_theme=(light|dark)/.exec(document.cookie);
  if (m) { document.documentElement.setAttribute("data-theme", m[1]); }
})();
