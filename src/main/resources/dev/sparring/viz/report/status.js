/*
 * The page's self-check, run before anything else: every script error, image that fails to load, request the
 * page's Content-Security-Policy blocks and console.error is recorded, and each chart says when it has drawn data.
 * #status then reads "ok: N charts drawn" (data-state "ok") or "error: ..." (data-state "error").
 */
window.sparringReport = (function () {
  "use strict";
  var errors = [], expected = -1, drawn = {};
  function count() { return Object.keys(drawn).length; }
  function show() {
    var s = document.getElementById("status");
    if (!s) return;
    if (errors.length) {
      s.dataset.state = "error";
      s.textContent = "error: " + errors.join(" | ");
    } else if (expected >= 0 && count() === expected) {
      s.dataset.state = "ok";
      s.textContent = "ok: " + expected + " charts drawn";
    } else {
      s.dataset.state = "drawing";
      s.textContent = "drawing: " + count() + " of " + (expected < 0 ? "?" : expected) + " charts";
    }
  }
  function error(message) { errors.push(String(message)); show(); }
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) error("could not load a " + t.tagName.toLowerCase() + " element" + (t.alt ? " (" + t.alt + ")" : ""));
    else error((e.message || "script error") + (e.lineno ? " (line " + e.lineno + ":" + e.colno + ")" : ""));
  }, true);
  window.addEventListener("unhandledrejection", function (e) { error("unhandled rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) { error("blocked by the page's policy: " + e.blockedURI); });
  var consoleError = console.error.bind(console);
  console.error = function () {
    error(Array.prototype.map.call(arguments, String).join(" "));
    consoleError.apply(null, arguments);
  };
  return {
    error: error,
    expect: function (n) { expected = n; show(); },
    drawn: function (id) { drawn[id] = true; show(); }
  };
})();
