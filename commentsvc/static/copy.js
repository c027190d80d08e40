/* Copy buttons for snippets (templates/admin/_snippet.html): copy the text of the
   element named by data-copy, say "Copied" for a moment and announce it politely.
   Without the Clipboard API (or when it is refused) the text is copied through a
   selection instead. The buttons stay hidden without JavaScript. */
(function () {
  "use strict";
  var status = document.querySelector("[data-copy-status]");

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return selection;
  }

  function fallback(el) {
    var selection = selectText(el);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    // Keep the text selected when copying failed, so Ctrl+C / Cmd+C finishes the job.
    if (ok) selection.removeAllRanges();
    return ok;
  }

  function copied(button) {
    var label = button.querySelector("[data-copy-label]");
    if (!button.dataset.label) button.dataset.label = label.textContent;
    label.textContent = button.dataset.copied;
    if (status) {
      status.textContent = "";
      setTimeout(function () { status.textContent = button.dataset.announce; }, 50);
    }
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(function () { label.textContent = button.dataset.label; }, 2000);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent;
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(
          function () { copied(button); },
          function () { if (fallback(source)) copied(button); }
        );
      } else if (fallback(source)) {
        copied(button);
      }
    });
  });
})();
