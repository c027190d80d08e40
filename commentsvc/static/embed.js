/* commentsvc loader: <div data-commentsvc-thread="KEY" data-title="…" data-theme="auto"></div>
   <script src="https://comments.example/embed.js" data-site="SLUG" async></script>
   A signed snippet also carries data-url and data-sig (see the README): the title and
   URL are then sent exactly as the template signed them. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src).origin;
  var site = script.getAttribute("data-site");
  var canonical = document.querySelector('link[rel="canonical"]');
  var pageUrl = canonical ? canonical.href : location.href.split("#")[0];

  document.querySelectorAll("[data-commentsvc-thread]").forEach(function (el) {
    if (el.querySelector("iframe")) return;
    var params = {
      title: el.getAttribute("data-title") || document.title,
      url: el.getAttribute("data-url") || pageUrl,
      origin: location.origin
    };
    var sig = el.getAttribute("data-sig");
    if (sig) params.sig = sig;
    // data-theme="auto|light|dark" on the thread or on this script; auto (the reader's
    // setting) is the default and is left out of the URL.
    var theme = el.getAttribute("data-theme") || script.getAttribute("data-theme");
    if (theme !== "light" && theme !== "dark") theme = "auto";
    if (theme !== "auto") params.theme = theme;
    var query = new URLSearchParams(params);
    // The frame's height when this thread was last shown in this tab, so the article
    // does not jump when the frame loads again (storage may be blocked: then 320 px).
    var memo = "commentsvc:height:" + site + ":" + el.getAttribute("data-commentsvc-thread");
    var height = 0;
    try { height = parseInt(sessionStorage.getItem(memo), 10) || 0; } catch (e) { /* blocked */ }
    var frame = document.createElement("iframe");
    frame.title = el.getAttribute("data-frame-title") || "Comments";
    frame.loading = "lazy";
    frame.style.cssText = "display:block;width:100%;border:0;overflow:hidden";
    frame.style.height = (height || 320) + "px";
    // The frame's color-scheme matches its page's, so browsers keep it transparent
    // (they paint an opaque backdrop when the two differ).
    frame.style.colorScheme = theme === "auto" ? "light dark" : theme;
    frame.src = base + "/embed/" + encodeURIComponent(site) + "/t/" +
      encodeURIComponent(el.getAttribute("data-commentsvc-thread")) + "?" + query;
    window.addEventListener("message", function (event) {
      if (event.origin !== base || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      if (data.type === "commentsvc:height" && typeof data.height === "number" && data.height >= 0) {
        height = Math.min(Math.ceil(data.height), 200000);
        frame.style.height = height + "px";
        try { sessionStorage.setItem(memo, String(height)); } catch (e) { /* blocked */ }
      }
    });
    el.appendChild(frame);
  });
})();
