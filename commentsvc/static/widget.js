/* The comments widget inside its iframe: height reports, sign-in popup, "load more".
   Everything here is an enhancement: the page works without it. */
(function () {
  "use strict";
  var root = document.querySelector("[data-site]");
  if (!root) return;
  var parentOrigin = root.dataset.parentOrigin;
  var popup = null;

  function report() {
    if (!parentOrigin || window.parent === window) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    window.parent.postMessage({ type: "commentsvc:height", height: height }, parentOrigin);
  }
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
  window.addEventListener("load", report);
  report();

  function showBlocked() {
    var note = document.querySelector("[data-popup-blocked]");
    if (note) note.hidden = false;
    report();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-action]");
    if (!link) return;
    if (link.dataset.action === "sign-in") {
      event.preventDefault();
      popup = window.open(root.dataset.signInUrl, "commentsvc-sign-in", "popup,width=480,height=700");
      if (!popup) showBlocked();
    } else if (link.dataset.action === "load-more") {
      event.preventDefault();
      var item = link.closest("li");
      fetch(link.href + "&partial=1", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) { item.insertAdjacentHTML("afterend", html); item.remove(); })
        .catch(function () { window.location.href = link.href; });
    }
  });

  window.addEventListener("message", function (event) {
    // Only the popup this page opened, on this service's own origin, may sign it in.
    if (event.origin !== window.location.origin || !popup || event.source !== popup) return;
    var data = event.data || {};
    if (data.type !== "commentsvc:code" || typeof data.code !== "string") return;
    fetch(root.dataset.sessionUrl, {
      method: "POST",
      credentials: "same-origin",
      body: new URLSearchParams({ code: data.code })
    }).then(function (r) {
      if (r.ok) window.location.reload();
      else showBlocked();
    });
  });
})();
