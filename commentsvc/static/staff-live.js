/* New held comments on an open staff page (templates/moderation/_new_held.html has
   the contract). While the page is visible, ask the pending-state URL every few seconds
   with the last ETag (a 304 means nothing changed); when comments newer than the page
   are waiting, show the notice; keep the title's "(N) " and the per-site counts in step.
   Progressive enhancement only: without this script the page simply does not update. */
(function () {
  "use strict";
  var box = document.querySelector("[data-new-held]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-live-url");
  var base = Math.max(1, Number(box.getAttribute("data-live-interval")) || 20) * 1000;
  var longest = Math.max(base, 5 * 60 * 1000);
  var news = box.querySelector("[data-new-held-news]");
  var count = box.querySelector("[data-new-held-count]");
  var delay = base;
  var timer = null;
  var etag = null;
  var busy = false;
  var stopped = false;

  function setTitle(pending) {
    var bare = document.title.replace(/^\(\d+\) /, "");
    document.title = pending > 0 ? "(" + pending + ") " + bare : bare;
  }

  function show(state) {
    setTitle(state.pending);
    var sites = state.sites || {};
    document.querySelectorAll("[data-pending-site]").forEach(function (el) {
      var n = String(sites[el.getAttribute("data-pending-site")] || 0);
      if (el.textContent !== n) el.textContent = n;
    });
    if (state["new"] > 0) {
      // Unhide first, then write: screen readers announce the change in the region.
      news.hidden = false;
      count.textContent = String(state["new"]);
    } else {
      news.hidden = true;
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!stopped && document.visibilityState === "visible") timer = setTimeout(check, delay);
  }

  function check() {
    if (busy || stopped || document.visibilityState !== "visible") return;
    busy = true;
    var headers = { Accept: "application/json" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.status === 304) return null;
        // Signed out (sent to sign in) or no longer a moderator: nothing more to ask.
        if (response.type === "opaqueredirect" || response.status === 401 ||
            response.status === 403 || response.status === 404) {
          stopped = true;
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (state) {
        if (state) show(state);
        delay = base;
      })
      .catch(function () {
        delay = Math.min(delay * 2, longest);
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      check();
    } else {
      clearTimeout(timer);
      timer = null;
    }
  });
  schedule();
})();
