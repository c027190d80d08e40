/* commentsvc consent banner, for every page of a news site:
     <script src="https://comments.example/consent.js" data-site="SLUG" async></script>
   - <script type="text/plain" data-consent-category="analytics"> stays inert until that
     category is allowed, then runs (in document order); it never runs otherwise.
   - Any element with data-consent-open reopens the preferences; so does
     window.commentsvcConsent.open(). get() tells the choice; withdraw() refuses all, as
     does a click on any element with data-consent-withdraw.
   - A "commentsvc:consent" event fires on document with every change.
   Before the reader decides, nothing is stored and nothing is sent but the request
   for the site's settings. The choice lives in a first-party cookie on the site. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.commentsvcConsent) return;
  var d = document;
  var site = script.getAttribute("data-site") || "";
  var base = new URL(script.src).origin;
  var NAME = "commentsvc_consent";
  var NECESSARY = "necessary";
  var cfg = null;
  var prior = read(); // the choice on record (possibly for an older revision)
  var state = null; // the choice in force for the current revision
  // The consent ID the service issued (signed for this site) at the first decision; "" before.
  var cid = prior ? prior.id : "";
  var queue = Promise.resolve();
  var gpc = navigator.globalPrivacyControl === true;
  var host, root, banner, dialog, boxes = {}, bannerFocus, dialogFocus, pendingOpen, running, again;
  var de = d.documentElement, scrollPad = "", inlinePad = "", pagePad = "0px";

  function read() {
    var m = d.cookie.match(/(?:^|;\s*)commentsvc_consent=([0-9a-f-]{36}(?:\.[\w-]{1,64})?)?~(\d+)~([a-z.]*)/);
    return m ? { id: m[1] || "", revision: +m[2], granted: m[3] ? m[3].split(".") : [] } : null;
  }

  function has(list, x) { return list.indexOf(x) >= 0; }

  // The focused element, looking inside shadow roots (ours included).
  function active() {
    var a = d.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  }

  function secure() { return location.protocol === "https:" ? "; Secure" : ""; }

  function write() {
    var c = NAME + "=" + cid + "~" + state.revision + "~" + state.granted.join(".") +
      "; path=/; max-age=" + cfg.max_age + "; SameSite=Lax" + secure();
    var dom = (cfg.cookie_domain || "").replace(/^\./, ""), host = location.hostname;
    if (dom && (host === dom || host.slice(-dom.length - 1) === "." + dom)) c += "; domain=" + dom;
    d.cookie = c;
  }

  // Delete the cookies the site listed for these categories, on this host, its parent
  // domains and the paths above this page.
  function drop(categories) {
    var names = [];
    categories.forEach(function (c) { names = names.concat((cfg.cookies || {})[c] || []); });
    if (!names.length) return;
    var parts = location.hostname.split("."), seg = location.pathname.split("/"), paths = ["/"];
    for (var i = 2; i < seg.length; i++) paths.push(seg.slice(0, i).join("/"));
    d.cookie.split(/;\s*/).forEach(function (pair) {
      var n = pair.split("=")[0];
      var listed = names.some(function (p) {
        return p.slice(-1) === "*" ? n.indexOf(p.slice(0, -1)) === 0 : n === p;
      });
      if (!n || !listed) return;
      paths.forEach(function (path) {
        var gone = n + "=; max-age=0; path=" + path + secure();
        d.cookie = gone;
        for (var j = 0; j < parts.length - 1; j++) d.cookie = gone + "; domain=" + parts.slice(j).join(".");
      });
    });
  }

  function allowed(el) {
    return el.getAttribute("data-consent-category").split(/\s+/).every(function (c) {
      return !c || c === NECESSARY || (state && has(state.granted, c));
    });
  }

  // Replace each allowed inert script by a live copy, one after the other: an external
  // one must have loaded before the next runs.
  function run() {
    if (running) { again = true; return; }
    var todo = [].filter.call(d.querySelectorAll('script[type="text/plain"][data-consent-category]'), allowed);
    running = true;
    (function next(i) {
      if (i >= todo.length) {
        running = false;
        if (again) { again = false; run(); }
        return;
      }
      var old = todo[i], s = d.createElement("script");
      [].forEach.call(old.attributes, function (a) {
        if (a.name !== "type" && a.name !== "data-consent-category") s.setAttribute(a.name, a.value);
      });
      if (old.nonce) s.nonce = old.nonce;
      s.async = false;
      if (old.src) s.onload = s.onerror = function () { next(i + 1); };
      else s.text = old.text;
      old.parentNode.replaceChild(s, old);
      if (!old.src) next(i + 1);
    })(0);
  }

  function detail(action, source) {
    return {
      consentId: cid ? cid.split(".")[0] : null,
      revision: state.revision,
      granted: [NECESSARY].concat(state.granted),
      refused: cfg.categories.filter(function (c) { return !has(state.granted, c); }),
      action: action,
      source: source,
      gpc: gpc
    };
  }

  function emit(action, source) {
    d.dispatchEvent(new CustomEvent("commentsvc:consent", { detail: detail(action, source) }));
  }

  // Decisions are sent one after the other: the ID the first one gets goes with the next.
  function post(action, source) {
    var body = detail(action, source), msg = {
      site: site, action: action, source: source,
      granted: body.granted, refused: body.refused, revision: cfg.revision,
      settings_version: cfg.settings_version, language: cfg.language,
      text_hash: cfg.text_hash, gpc: gpc
    };
    queue = queue.then(function () { return send(msg, true); })["catch"](function () {});
  }

  function send(msg, retry) {
    var sent = cid;
    if (sent) msg.consent_id = sent;
    else delete msg.consent_id;
    return fetch(cfg.record_url, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(msg)
    }).then(function (r) {
      // An ID the service did not issue for this site (e.g. an older banner's): drop it,
      // and the service issues a new one.
      if (r.status === 403 && sent && retry) {
        cid = "";
        return send(msg, false);
      }
      if (!r.ok) return null;
      return r.json().then(function (j) {
        if (typeof j.consent_id === "string") {
          cid = j.consent_id;
          if (state) write();
        }
      });
    });
  }

  function decide(action, where) {
    var source = where, limited = gpc ? cfg.gpc_refused : [], granted = [];
    if (action === "accept_all") {
      granted = cfg.categories.filter(function (c) { return !has(limited, c); });
      if (limited.length) source = "gpc";
    } else if (action === "custom") {
      granted = cfg.categories.filter(function (c) { return boxes[c].checked; });
    }
    var lost = prior ? prior.granted.filter(function (c) { return !has(granted, c); }) : [];
    if (lost.length) {
      action = "withdraw";
      if (source === "gpc") source = where;
    }
    state = { revision: cfg.revision, granted: granted };
    prior = state;
    write();
    drop(lost);
    post(action, source);
    close(true);
    run();
    emit(action, source);
  }

  // --- the interface, in a shadow root: the site's CSS cannot break it, nor it the site's.
  function el(tag, attrs, kids) {
    var e = d.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "on") e.addEventListener("click", attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  var CSS =
    ":host{all:initial}" +
    ".b,dialog{box-sizing:border-box;background:#fff;color:#1b1b1b;border:1px solid #767676;border-radius:8px;" +
    "box-shadow:0 4px 24px rgba(0,0,0,.3);padding:1rem 1.25rem;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "max-height:85vh;overflow:auto}" +
    ".b{position:fixed;z-index:2147483000;left:1rem;right:1rem;bottom:1rem;max-width:42rem;margin:0 auto}" +
    "dialog{width:min(40rem,calc(100% - 2rem))}dialog::backdrop{background:rgba(0,0,0,.45)}" +
    "h2{font-size:1.15rem;margin:0 2.5rem .5rem 0}p{margin:0 0 .75rem}a{color:#0b5cad}" +
    ".r{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}" +
    "button{font:inherit;font-weight:600;flex:1 1 9rem;padding:.55rem 1rem;border-radius:4px;border:2px solid #0b5cad;" +
    "background:#0b5cad;color:#fff;cursor:pointer}" +
    "button.x{position:absolute;top:.6rem;right:.6rem;flex:none;padding:.1rem .6rem;background:#fff;color:#1b1b1b;border-color:#767676}" +
    ":focus-visible{outline:3px solid #b45309;outline-offset:2px}" +
    ".c{border-top:1px solid #d0d7de;padding:.6rem 0 0}.c label,.c strong{font-weight:600;display:flex;gap:.5rem;align-items:center}" +
    ".c input{width:1.2rem;height:1.2rem;margin:0}.c p{margin:.25rem 0 .5rem;color:#444}" +
    ".n{background:#f2f7fc;border-left:4px solid #0b5cad;padding:.5rem .75rem}.s{font-size:.85rem;color:#555}";

  function style(shadow) {
    if (shadow.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      var s = el("style", { text: CSS });
      if (script.nonce) s.nonce = script.nonce;
      shadow.appendChild(s);
    }
  }

  function links() {
    var kids = [];
    cfg.text.policies.forEach(function (p, i) {
      if (i) kids.push(d.createTextNode(" · "));
      kids.push(el("a", { href: cfg.policy_urls[p.document], target: "_blank", rel: "noopener", text: p.label }));
    });
    return el("p", { "class": "s" }, kids);
  }

  function note(id) { return gpc && cfg.gpc_refused.length ? el("p", { "class": "n", id: id, text: cfg.text.gpc_note }) : null; }

  function buttons(where) {
    var t = cfg.text;
    return el("div", { "class": "r" }, [
      el("button", { type: "button", text: t.accept_all, on: function () { decide("accept_all", where); } }),
      el("button", { type: "button", text: t.reject_all, on: function () { decide("reject_all", where); } }),
      where === "banner"
        ? el("button", { type: "button", "aria-haspopup": "dialog", text: t.preferences, on: function () { open(); } })
        : el("button", { type: "button", text: t.save, on: function () { decide("custom", where); } })
    ]);
  }

  function mount() {
    if (root) return;
    host = el("div", { id: "commentsvc-consent" });
    // Out of the page's flow: content loading above it (an article's comments) never
    // moves it, so it adds nothing to the page's layout shift.
    host.style.cssText = "display:block;position:fixed;left:0;bottom:0;width:0;height:0";
    root = host.attachShadow({ mode: "open" });
    style(root);
    d.body.appendChild(host);
  }

  // While the banner shows, the page gets room below its end (padding at the bottom of
  // the document, added to the page's own) and keyboard focus scrolls clear of the
  // banner: it never hides the page's last lines.
  function pad() {
    var h = banner ? banner.offsetHeight + 32 : 0;
    de.style.paddingBottom = h ? "calc(" + pagePad + " + " + h + "px)" : inlinePad;
    de.style.scrollPaddingBottom = h ? h + "px" : scrollPad;
  }

  function showBanner() {
    mount();
    var t = cfg.text;
    bannerFocus = active();
    banner = el("div", {
      "class": "b", role: "dialog", "aria-modal": "false", "aria-labelledby": "csvc-t",
      "aria-describedby": "csvc-m", tabindex: "-1"
    }, [
      el("h2", { id: "csvc-t", text: t.title }),
      el("p", { id: "csvc-m", text: t.body }),
      note("csvc-g"),
      links(),
      buttons("banner")
    ]);
    root.appendChild(banner);
    scrollPad = de.style.scrollPaddingBottom;
    inlinePad = de.style.paddingBottom;
    pagePad = getComputedStyle(de).paddingBottom || "0px";
    pad();
    if (window.ResizeObserver) new ResizeObserver(pad).observe(banner);
    banner.focus({ preventScroll: true });
  }

  function category(c) {
    var id = "csvc-" + c.id, desc = el("p", { id: id + "-d", text: c.description });
    if (c.id === NECESSARY) {
      return el("div", { "class": "c" }, [el("strong", { text: c.label + " — " + cfg.text.always_on }), desc]);
    }
    var box = el("input", { type: "checkbox", id: id, "aria-describedby": id + "-d" });
    box.checked = !!(state && has(state.granted, c.id));
    boxes[c.id] = box;
    return el("div", { "class": "c" }, [el("label", {}, [box, d.createTextNode(c.label)]), desc]);
  }

  function open() {
    if (!cfg) { pendingOpen = true; return; }
    mount();
    if (dialog) dialog.remove();
    var t = cfg.text;
    dialogFocus = active();
    boxes = {};
    dialog = el("dialog", { "aria-labelledby": "csvc-pt", "aria-describedby": "csvc-pm" }, [
      el("h2", { id: "csvc-pt", text: t.preferences_title }),
      el("button", { type: "button", "class": "x", "aria-label": t.close, text: "×", on: function () { close(false); } }),
      el("p", { id: "csvc-pm", text: t.preferences_body }),
      note("csvc-pg")
    ].concat(t.categories.map(category), [
      buttons("preferences"),
      state && cid ? el("p", { "class": "s", text: t.consent_id + ": " + cid.split(".")[0] }) : null,
      links()
    ]));
    // Escape closes the preferences without deciding anything.
    dialog.addEventListener("close", function () { if (dialog) close(false); });
    root.appendChild(dialog);
    dialog.showModal();
    var first = dialog.querySelector("input,button:not(.x)");
    if (first) first.focus();
  }

  function refocus(target) {
    if (target && target.focus && target !== d.body && target.isConnected) target.focus({ preventScroll: true });
  }

  // Close the preferences; decided: the banner goes too and focus returns to where it was.
  function close(decided) {
    var from = dialogFocus;
    if (dialog) {
      var dlg = dialog;
      dialog = null;
      if (dlg.open) dlg.close();
      dlg.remove();
    }
    if (decided && banner) {
      banner.remove();
      banner = null;
      pad();
      refocus(bannerFocus);
    } else if (banner && from && root.contains(from)) {
      from.focus({ preventScroll: true });
    } else {
      refocus(from);
    }
  }

  // data-consent-open reopens the preferences; data-consent-withdraw withdraws in one
  // click, as consenting takes one.
  d.addEventListener("click", function (e) {
    var t = e.target && e.target.closest && e.target.closest("[data-consent-open],[data-consent-withdraw]");
    if (!t) return;
    e.preventDefault();
    if (t.hasAttribute("data-consent-open")) open();
    else window.commentsvcConsent.withdraw();
  });

  window.commentsvcConsent = {
    open: open,
    get: function () { return state ? detail(null, null) : null; },
    has: function (c) { return c === NECESSARY || !!(state && has(state.granted, c)); },
    withdraw: function () { if (cfg) decide("reject_all", "preferences"); }
  };

  var lang = (d.documentElement.lang || "en").toLowerCase().split("-")[0];
  fetch(base + "/api/v1/sites/" + encodeURIComponent(site) + "/consent-config?lang=" + encodeURIComponent(lang), {
    credentials: "omit"
  }).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  }).then(function (c) {
    cfg = c;
    gpc = gpc || c.gpc;
    var start = function () {
      if (prior && prior.revision === c.revision) {
        state = { revision: prior.revision, granted: prior.granted.filter(function (x) { return has(c.categories, x); }) };
        run();
        emit(null, null);
      } else {
        // No choice yet, or the site changed what it asks: ask (again).
        showBanner();
      }
      if (pendingOpen) open();
    };
    if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
    else start();
  })["catch"](function () { /* No settings: no banner, and nothing optional runs. */ });
})();
