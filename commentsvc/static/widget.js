/* The comments widget inside its iframe. Everything here is an enhancement: each action
   is a plain form or link that works without it. With it, the thread's forms (post,
   reply, edit, delete, vote, report), sort, "load more" and reply subtrees change only
   the part of the page they concern; typed text is kept as a draft until posted; the
   composer previews; new comments are announced; times read "5 minutes ago"; and the
   host page is told the frame's height after every change. */
(function () {
  "use strict";
  var root = document.querySelector("[data-site]");
  if (!root) return;
  var data = root.dataset, parentOrigin = data.parentOrigin, popup = null;
  var list = root.querySelector("[data-comments]");
  var text = {};
  try { text = JSON.parse(document.getElementById("widget-text").textContent); } catch (e) { /* defaults below */ }

  /* --- the frame's height ------------------------------------------------------- */
  var lastHeight = -1;
  function report() {
    if (!parentOrigin || window.parent === window) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: "commentsvc:height", height: height }, parentOrigin);
  }
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(report);
    observer.observe(document.documentElement);
    observer.observe(document.body);
  }
  window.addEventListener("load", function () { lastHeight = -1; report(); });
  document.addEventListener("load", report, true); // images in comments
  document.addEventListener("toggle", report, true); // <details>: reply, edit, report …
  report();

  /* --- drafts: per thread and form, in the frame's session storage ---------------- */
  var store = null;
  try { store = window.sessionStorage; store.setItem("commentsvc:probe", "1"); store.removeItem("commentsvc:probe"); } catch (e) { store = null; }
  var draftPrefix = "commentsvc:draft:" + location.pathname + ":";
  var ACTION = /\/(?:embed|threads)\/[^/]+\/c\/(\d+)\/(edit|delete|vote|report)\//;
  var POST = /\/(?:embed|threads)\/[^/]+\/t\//;

  // Where a form goes: its own address, or the one its button names (a vote button
  // sends the page's one vote form to its comment's address).
  function actionOf(form, button) {
    return button && button.hasAttribute("formaction") ? button.formAction : form.action;
  }
  function kindOf(form, button) {
    var path = new URL(actionOf(form, button), location.href).pathname, m = ACTION.exec(path);
    if (m) return m[2];
    return POST.test(path) && form.elements.body ? "post" : null;
  }
  function draftKey(form) {
    var kind = kindOf(form);
    if (kind === "edit") return draftPrefix + "e" + ACTION.exec(form.action)[1];
    if (kind !== "post") return null;
    var parent = form.elements.parent_id;
    return draftPrefix + (parent && parent.value ? "r" + parent.value : "new");
  }
  function keep(key, value) {
    if (!store || !key) return;
    try { if (value) store.setItem(key, value); else store.removeItem(key); } catch (e) { /* full or blocked */ }
  }
  function restore(scope) {
    if (!store) return;
    scope.querySelectorAll("a.reply[data-reply]").forEach(function (link) {
      var value = null;
      try { value = store.getItem(draftPrefix + "r" + link.dataset.reply); } catch (e) { return; }
      if (value) openReply(link, false);
    });
    scope.querySelectorAll("form").forEach(function (form) {
      var key = draftKey(form), body = form.elements.body, value = null;
      if (!key || !body) return;
      try { value = store.getItem(key); } catch (e) { return; }
      if (value === null || value === body.value) return;
      body.value = value;
      var details = form.closest("details");
      if (details) details.open = true;
    });
  }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.name === "body" && field.form) keep(draftKey(field.form), field.value);
  });

  /* --- the reply form: one per page, opened under the comment ------------------------ */
  var replyTemplate = root.querySelector("template[data-reply-form]");
  function openReply(link, focus) {
    if (!replyTemplate) return false;
    var id = link.dataset.reply, details = replyTemplate.content.firstElementChild.cloneNode(true);
    details.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/-tpl$/, "-" + id); });
    details.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/-tpl$/, "-" + id); });
    var form = details.querySelector("form");
    form.elements.parent_id.value = id;
    details.querySelector('label[for="reply-' + id + '"]').textContent = link.dataset.label;
    link.replaceWith(details);
    addTabs(form);
    if (focus) form.elements.body.focus();
    report();
    return true;
  }

  /* --- what the page says ---------------------------------------------------------- */
  var liveRegion = root.querySelector("[data-live]");
  function announce(message) {
    if (!liveRegion || !message) return;
    liveRegion.textContent = "";
    setTimeout(function () { liveRegion.textContent = message; }, 50);
  }
  var countEl = root.querySelector(".thread-heading .count");
  var seen = parseInt(data.count, 10) || 0;
  function setCount(n) {
    seen = n;
    if (countEl) countEl.textContent = "(" + n + ")";
  }

  /* --- errors next to the field ---------------------------------------------------- */
  function clearError(form) {
    form.querySelectorAll("[data-error], p.error").forEach(function (p) { p.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
  }
  var errors = 0;
  function showError(form, message, field) {
    var el = form.elements ? form.elements[field] : null;
    if (!el || !el.tagName) el = (form.elements && form.elements.body) || form.querySelector("textarea");
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.dataset.error = "";
    p.id = "widget-error-" + (++errors);
    p.textContent = message || text.failed;
    if (el) {
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", p.id);
      el.insertAdjacentElement("afterend", p);
      el.focus();
    } else {
      form.appendChild(p);
    }
  }

  /* --- the thread's forms, sent in place ------------------------------------------- */
  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }
  function repliesOf(li) {
    var ol = li.querySelector(":scope > ol.replies");
    if (!ol) {
      ol = document.createElement("ol");
      ol.className = "replies";
      li.insertBefore(ol, li.querySelector(":scope > details.more-replies"));
    }
    return ol;
  }
  function insertTop(item) {
    var empty = list.querySelector(":scope > li.empty");
    if (empty) empty.remove();
    var sort = root.querySelector(".sort [aria-current]");
    var newest = sort && /[?&]sort=newest/.test(sort.href);
    var before = newest ? list.querySelector(":scope > li.comment:not(.pinned)") : null;
    list.insertBefore(item, before || list.querySelector(":scope > .load-more"));
  }
  function focusOn(el, scroll) {
    if (!el.hasAttribute("tabindex")) el.tabIndex = -1;
    if (scroll) el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }

  function done(form, kind, html, status) {
    var li = form.closest("li.comment"), item = html ? fragment(html) : null;
    if (kind === "post") {
      keep(draftKey(form), "");
      form.elements.body.value = "";
      showTab(form, false);
      var parent = form.elements.parent_id && form.elements.parent_id.value;
      if (!item) return;
      if (parent) {
        var up = document.getElementById("c" + parent);
        repliesOf(up).appendChild(item);
        var details = form.closest("details");
        if (details) details.open = false;
        enhance(up);
      } else {
        insertTop(item);
      }
      enhance(item);
      if (status === "published") setCount(seen + 1);
      announce(status === "held" ? text.held : text.published);
      focusOn(item, true);
      return;
    }
    if (kind === "edit") keep(draftKey(form), "");
    if (!item) { // deleted, and nothing left to show in its place
      var next = li.nextElementSibling || li.parentElement.closest("li.comment") || list;
      li.remove();
      setCount(Math.max(seen - 1, 0));
      announce(text.deleted);
      focusOn(next, false);
      return;
    }
    var article = item.querySelector(":scope > article");
    var focused = document.activeElement, label = focused && li.contains(focused) && focused.getAttribute("aria-label");
    li.replaceChild(article, li.querySelector(":scope > article"));
    enhance(li);
    restore(article); // a reply being written under it
    var again = label && article.querySelector('[aria-label="' + CSS.escape(label) + '"]');
    if (again) again.focus();
    else focusOn(li, false);
    if (kind === "edit") announce(text.saved);
    if (kind === "delete") { setCount(Math.max(seen - 1, 0)); announce(text.deleted); }
  }

  function formBody(form, submitter) {
    var values = new FormData(form);
    // The button that sent the form counts (a vote form's ▲ or ▼).
    if (submitter && submitter.name && !values.has(submitter.name)) values.append(submitter.name, submitter.value);
    return new URLSearchParams(values);
  }
  // place: where the answer goes (the form, or a vote button's comment controls).
  function send(form, kind, button, place) {
    button = button || form.querySelector("button[type=submit], button:not([type])");
    place.dataset.busy = "1";
    // Not disabled: that would take the focus away from it. A busy form sends nothing.
    if (button) { button.setAttribute("aria-disabled", "true"); button.setAttribute("aria-busy", "true"); }
    clearError(place);
    fetch(actionOf(form, button), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Commentsvc-Fragment": "1", Accept: "application/json" },
      body: formBody(form, button)
    }).then(function (r) {
      return r.text().then(function (body) {
        if (r.ok) return done(place, kind, body, r.headers.get("X-Commentsvc-Status"));
        var answer = {};
        try { answer = JSON.parse(body); } catch (e) { /* not ours: say it failed */ }
        showError(place, answer.error, answer.field);
      });
    }).catch(function () {
      showError(place, text.failed);
    }).then(function () {
      delete place.dataset.busy;
      if (button) { button.removeAttribute("aria-disabled"); button.removeAttribute("aria-busy"); }
      report();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target, button = event.submitter, kind = kindOf(form, button);
    if (!kind || !root.contains(form) || !window.fetch) return;
    event.preventDefault();
    var place = button && !form.contains(button) ? button.parentElement : form;
    if (!place.dataset.busy) send(form, kind, button, place);
  });

  /* --- Write / Preview ----------------------------------------------------------------- */
  var tabs = 0;
  function addTabs(form) {
    var body = form.elements.body;
    if (!data.previewUrl || !body || body.tagName !== "TEXTAREA" || form.querySelector("[role=tablist]")) return;
    var n = ++tabs, bar = document.createElement("div"), panel = document.createElement("div");
    bar.setAttribute("role", "tablist");
    bar.className = "tabs";
    if (!body.id) body.id = "composer-" + n;
    [text.write, text.preview].forEach(function (label, i) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = "tab-" + n + "-" + i;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", i ? "preview-" + n : body.id);
      tab.setAttribute("aria-selected", i ? "false" : "true");
      tab.tabIndex = i ? -1 : 0;
      tab.textContent = label;
      tab.addEventListener("click", function () { showTab(form, !!i); });
      tab.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        showTab(form, !i);
        bar.children[i ? 0 : 1].focus();
      });
      bar.appendChild(tab);
    });
    panel.id = "preview-" + n;
    panel.className = "preview";
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", "tab-" + n + "-1");
    panel.hidden = true;
    body.insertAdjacentElement("beforebegin", bar);
    body.insertAdjacentElement("afterend", panel);
  }
  function showTab(form, preview) {
    var bar = form.querySelector("[role=tablist]");
    if (!bar) return;
    var body = form.elements.body, panel = document.getElementById(bar.children[1].getAttribute("aria-controls"));
    bar.children[0].setAttribute("aria-selected", String(!preview));
    bar.children[1].setAttribute("aria-selected", String(preview));
    bar.children[0].tabIndex = preview ? -1 : 0;
    bar.children[1].tabIndex = preview ? 0 : -1;
    body.hidden = preview;
    panel.hidden = !preview;
    if (!preview) return;
    panel.setAttribute("aria-busy", "true");
    fetch(data.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new URLSearchParams({ csrf_token: form.elements.csrf_token.value, body: body.value })
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.html !== undefined) panel.innerHTML = answer.html; // the service's sanitiser's output
      else panel.textContent = answer.error || text.failed;
    }).catch(function () {
      panel.textContent = text.failed;
    }).then(function () { panel.removeAttribute("aria-busy"); report(); });
  }

  /* --- reply subtrees fold -------------------------------------------------------------- */
  function addToggle(li) {
    var replies = li.querySelector(":scope > ol.replies"), article = li.querySelector(":scope > article");
    if (!replies || !article || article.querySelector("[data-toggle]")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.dataset.toggle = "";
    button.setAttribute("aria-expanded", String(!replies.hidden));
    button.textContent = replies.hidden ? text.show : text.hide;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      li.querySelectorAll(":scope > ol.replies, :scope > details.more-replies").forEach(function (el) { el.hidden = !open; });
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? text.hide : text.show;
    });
    (article.querySelector("footer") || article).appendChild(button);
  }

  /* --- times: "5 minutes ago", the exact time as the title --------------------------- */
  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }) : null;
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  function times(scope) {
    if (!relative) return;
    scope.querySelectorAll("time[datetime]").forEach(function (el) {
      var value = el.getAttribute("datetime").replace(/(\.\d{3})\d+/, "$1");
      if (!/(Z|[+-]\d\d:?\d\d)$/i.test(value)) value += "Z";
      var when = Date.parse(value);
      if (isNaN(when)) return;
      if (!el.title) el.title = el.textContent.trim();
      var seconds = (when - Date.now()) / 1000, unit = ["second", 1];
      for (var i = 0; i < UNITS.length; i++) {
        if (Math.abs(seconds) >= UNITS[i][1]) { unit = UNITS[i]; break; }
      }
      el.textContent = unit[0] === "second" ? relative.format(0, "second") : relative.format(Math.round(seconds / unit[1]), unit[0]);
    });
  }
  setInterval(function () { times(root); }, 60000);

  function enhance(scope) {
    scope.querySelectorAll("form").forEach(addTabs);
    if (scope.matches("li.comment")) addToggle(scope);
    scope.querySelectorAll("li.comment").forEach(addToggle);
    times(scope);
    report();
  }
  enhance(root);
  restore(root);

  /* --- sort and "load more" in place ------------------------------------------------- */
  function partial(href) {
    return fetch(href + (href.indexOf("?") < 0 ? "?" : "&") + "partial=1", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); });
  }
  function sortBy(link) {
    partial(link.href).then(function (html) {
      list.innerHTML = html;
      root.querySelectorAll(".sort a").forEach(function (a) {
        if (a === link) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      });
      history.replaceState(null, "", link.href);
      enhance(list);
      restore(list);
    }).catch(function () { window.location.href = link.href; });
  }

  /* --- "3 new comments — show" -------------------------------------------------------- */
  var news = root.querySelector("[data-news]"), lastPoll = null, latest = seen;
  function poll() {
    if (document.visibilityState !== "visible" || !data.changesUrl || !window.fetch) return;
    var url = data.changesUrl + "?seen=" + seen + "&lang=" + encodeURIComponent(document.documentElement.lang || "");
    var headers = lastPoll && lastPoll.url === url && lastPoll.etag ? { "If-None-Match": lastPoll.etag } : {};
    fetch(url, { credentials: "omit", cache: "no-store", headers: headers }).then(function (r) {
      if (r.status !== 200) return; // 304: nothing changed
      lastPoll = { url: url, etag: r.headers.get("ETag") };
      return r.json().then(function (answer) {
        latest = answer.count;
        if (!news || answer.new < 1) return;
        news.querySelector("[data-news-text]").textContent = answer.notice;
        news.hidden = false;
      });
    }).catch(function () { /* try again next time */ });
  }
  setInterval(poll, 25000);
  document.addEventListener("visibilitychange", poll);

  function showNew() {
    var current = root.querySelector(".sort [aria-current]");
    partial(current ? current.href : location.href).then(function (html) {
      var t = document.createElement("template"), first = null;
      t.innerHTML = html;
      t.content.querySelectorAll("li.comment[id]").forEach(function (li) {
        if (document.getElementById(li.id)) return; // shown already (or came with its parent)
        var prev = li.previousElementSibling;
        while (prev && !(prev.id && document.getElementById(prev.id))) prev = prev.previousElementSibling;
        var node = li.cloneNode(true), up = li.parentElement && li.parentElement.closest("li.comment");
        if (prev) document.getElementById(prev.id).after(node);
        else if (up && document.getElementById(up.id)) repliesOf(document.getElementById(up.id)).appendChild(node);
        else if (!up) insertTop(node);
        else return;
        node.classList.add("new");
        enhance(up ? document.getElementById(up.id) : node);
        enhance(node);
        restore(node);
        first = first || node;
      });
      news.hidden = true;
      setCount(latest);
      if (first) focusOn(first, false);
    }).catch(function () { window.location.reload(); });
  }
  if (news) news.querySelector("[data-news-show]").addEventListener("click", showNew);

  /* --- links: sign-in popup, sort, load more ----------------------------------------- */
  function showBlocked() {
    var note = document.querySelector("[data-popup-blocked]");
    if (note) note.hidden = false;
    report();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a");
    if (!link || !root.contains(link)) return;
    var action = link.dataset.action;
    if (action === "sign-in") {
      event.preventDefault();
      popup = window.open(link.dataset.popupUrl || data.signInUrl, "commentsvc-sign-in", "popup,width=480,height=700");
      if (!popup) showBlocked();
    } else if (action === "load-more") {
      event.preventDefault();
      var item = link.closest("li");
      partial(link.href).then(function (html) {
        var t = document.createElement("template");
        t.innerHTML = html;
        var added = Array.prototype.slice.call(t.content.children);
        item.replaceWith(t.content);
        added.forEach(function (el) { enhance(el); restore(el); });
      }).catch(function () { window.location.href = link.href; });
    } else if (link.dataset.reply && openReply(link, true)) {
      event.preventDefault();
    } else if (link.classList.contains("report") && window.fetch) {
      // The Report form comes with the page (?report=<id>): take just that comment.
      event.preventDefault();
      var li = link.closest("li.comment");
      partial(link.href.split("#")[0]).then(function (html) {
        var t = document.createElement("template");
        t.innerHTML = html;
        var fresh = t.content.getElementById(li.id);
        if (!fresh) throw new Error("gone");
        li.replaceWith(fresh);
        enhance(fresh);
        restore(fresh);
        var choice = fresh.querySelector("details.report input");
        if (choice) choice.focus();
      }).catch(function () { window.location.href = link.href; });
    } else if (link.closest(".sort") && window.fetch) {
      event.preventDefault();
      sortBy(link);
    }
  });

  window.addEventListener("message", function (event) {
    // Only the popup this page opened, on this service's own origin, may sign it in.
    if (event.origin !== window.location.origin || !popup || event.source !== popup) return;
    var message = event.data || {};
    if (message.type !== "commentsvc:code" || typeof message.code !== "string") return;
    fetch(data.sessionUrl, {
      method: "POST",
      credentials: "same-origin",
      body: new URLSearchParams({ code: message.code })
    }).then(function (r) {
      if (r.ok) window.location.reload();
      else showBlocked();
    });
  });
})();
