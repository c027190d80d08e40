/* Keyboard work on the moderation queue: j/k move, a approve, r reject, s spam,
   x select, b bulk action, ? help. Every key only presses a button or focuses a field
   that is on the page anyway; without this script the same forms work by Tab and Enter.
   Also: an author's history opens in a side panel (without this script, the link leads
   to the reader page), and "Show all" appears only under text that is cut short. */
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-queue-item]"));
  var help = document.querySelector("[data-shortcuts]");
  var STORE = "commentsvc-moderation-position";
  var current = -1;

  function select(index) {
    if (!items.length) return;
    index = Math.max(0, Math.min(index, items.length - 1));
    if (items[current]) items[current].classList.remove("current");
    current = index;
    items[current].classList.add("current");
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  function submit(action) {
    var item = items[current];
    if (!item) return;
    var form = item.querySelector('form[data-action="' + action + '"]');
    if (!form) return;
    remember();
    form.requestSubmit();
  }

  function remember() {
    try { sessionStorage.setItem(STORE, String(current)); } catch (e) { /* private mode */ }
  }

  // After an action the page reloads; carry on at the same place in the list.
  try {
    var saved = sessionStorage.getItem(STORE);
    sessionStorage.removeItem(STORE);
    if (saved !== null && items.length) select(parseInt(saved, 10) || 0);
  } catch (e) { /* private mode */ }

  document.addEventListener("submit", function (event) {
    var item = event.target.closest && event.target.closest("[data-queue-item]");
    if (item) { current = items.indexOf(item); remember(); }
  });

  // Enter on the reason menu sends the rejection (a <select> does not submit by itself).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("select[data-reason]")) {
      event.preventDefault();
      remember();
      target.form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && target.closest && target.closest("[data-queue-item]") &&
        target.matches("input, select, textarea")) {
      select(current < 0 ? 0 : current);
      return;
    }
    if (target.closest && target.closest("dialog")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target.matches && target.matches("input, select, textarea, [contenteditable]")) return;
    var key = event.key;
    if (key === "?") {
      if (help) {
        help.open = !help.open;
        if (help.open) help.querySelector("summary").focus();
        else if (items[current]) items[current].focus();
      }
      event.preventDefault();
      return;
    }
    if (!items.length) return;
    if (key === "j") select(current + 1);
    else if (key === "k") select(current - 1);
    else if (current < 0) return;
    else if (key === "a") submit("approve");
    else if (key === "s") submit("spam");
    else if (key === "r") {
      var reason = items[current].querySelector("select[data-reason]");
      if (reason) reason.focus();
    } else if (key === "x") {
      var box = items[current].querySelector("[data-select]");
      if (box) box.checked = !box.checked;
    } else if (key === "b") {
      var bulk = document.querySelector("[data-bulk-action]");
      if (bulk) bulk.focus();
    } else return;
    event.preventDefault();
  });

  // Clicking into an item makes it the current one.
  items.forEach(function (item, index) {
    item.addEventListener("focusin", function () {
      if (current !== index) {
        if (items[current]) items[current].classList.remove("current");
        current = index;
        item.classList.add("current");
      }
    });
  });

  // "Show all" only where the clamp hides something.
  function fitShowAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-show-all]"), function (toggle) {
      var body = toggle.previousElementSibling;
      if (!body || toggle.open) return;
      toggle.hidden = body.scrollHeight <= body.clientHeight + 1;
    });
  }
  fitShowAll();
  window.addEventListener("resize", fitShowAll);

  // The author's history in a side panel, from the reader page's fragment.
  var drawer = document.querySelector("[data-drawer-dialog]");
  var drawerBody = drawer && drawer.querySelector("[data-drawer-body]");
  var opener = null;
  if (drawer && typeof drawer.showModal === "function") {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-drawer]");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      opener = link;
      fetch(link.getAttribute("data-drawer"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          drawerBody.innerHTML = html;
          if (!drawer.open) drawer.showModal();
          var heading = drawer.querySelector("#reader-panel-heading");
          if (heading) heading.focus();
        })
        .catch(function () { window.location.href = link.href; });
    });
    drawer.querySelector("[data-drawer-close]").addEventListener("click", function () { drawer.close(); });
    // A click on the backdrop (outside the panel) closes it too.
    drawer.addEventListener("click", function (event) { if (event.target === drawer) drawer.close(); });
    drawer.addEventListener("close", function () {
      drawerBody.innerHTML = "";
      if (opener) opener.focus();
    });
  }
})();
