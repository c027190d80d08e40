/* The sign-in popup's pages. An enhancement: every step works without it.
   When the verification link is opened in another tab of this browser, that page
   says so on a channel, and the popup waiting for the code goes on by itself
   (its "Continue after the link" form; the server checks the address really is verified). */
(function () {
  "use strict";
  if (!window.BroadcastChannel) return;
  var channel = new BroadcastChannel("commentsvc-verified");
  if (document.querySelector("[data-verified]")) channel.postMessage("verified");
  var waiting = document.querySelector("form[data-on-verified]");
  if (!waiting) return;
  channel.onmessage = function (event) {
    if (event.data === "verified") waiting.submit();
  };
})();
