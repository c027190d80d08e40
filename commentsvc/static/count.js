/* commentsvc counts: <span data-commentsvc-count="KEY">0</span> on article lists, filled
   from one request. <script src="https://comments.example/count.js" data-site="SLUG" async> */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src).origin;
  var site = script.getAttribute("data-site");
  var els = document.querySelectorAll("[data-commentsvc-count]");
  var keys = [];
  els.forEach(function (el) {
    var key = el.getAttribute("data-commentsvc-count");
    if (keys.indexOf(key) < 0) keys.push(key);
  });
  if (!keys.length) return;
  var query = keys.sort().map(function (k) { return "thread=" + encodeURIComponent(k); }).join("&");
  var url = base + "/api/v1/sites/" + encodeURIComponent(site) + "/counts?" + query;
  // Later loads revalidate the browser's copy (If-None-Match, answered 304 while the
  // counts are the same): no preflight, and no body unless a count changed.
  function load(cache) {
    fetch(url, { credentials: "omit", cache: cache })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        els.forEach(function (el) {
          var n = data.counts[el.getAttribute("data-commentsvc-count")];
          if (typeof n === "number" && el.textContent !== String(n)) el.textContent = String(n);
        });
      })
      .catch(function () { /* try again next time */ });
  }
  load("no-cache");
  // While the page is visible, every 25 seconds.
  setInterval(function () { if (document.visibilityState === "visible") load("no-cache"); }, 25000);
})();
