/* Passkeys: the WebAuthn ceremonies of the sign-in, second-step and account pages.
   A [data-passkey] box names its URLs and messages; its button (or form) starts the
   ceremony: options from the server, navigator.credentials, the answer posted back as
   JSON (with the CSRF token), then the page the server names. Every failure is told
   in the box's alert; the other ways to sign in stay on the page. */
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return {type: d.type, id: toBytes(d.id), transports: d.transports};
    });
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return {publicKey: o};
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return {publicKey: o};
  }

  function answer(credential) {
    var r = credential.response;
    var response = {clientDataJSON: toText(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    });
  }

  function post(box, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf},
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.error || box.dataset.msgFailed);
        return data;
      });
    });
  }

  function setUp(box) {
    // Without this script the box stays hidden: the page's other ways remain.
    box.hidden = false;
    var alertBox = box.querySelector("[data-passkey-error]");
    var form = box.querySelector("form");
    var button = box.querySelector("button[data-passkey-start]") || (form && form.querySelector("button"));
    var registering = box.dataset.passkey === "register";
    function fail(message) {
      alertBox.textContent = message;
      alertBox.hidden = false;
      if (button) button.disabled = false;
    }
    function start(event) {
      if (event) event.preventDefault();
      alertBox.hidden = true;
      if (!window.PublicKeyCredential || !navigator.credentials) {
        fail(box.dataset.msgUnsupported);
        return;
      }
      var name = form ? form.querySelector("input[name$='name']").value.trim() : "";
      if (registering && !name) {
        fail(box.dataset.msgName);
        return;
      }
      button.disabled = true;
      post(box, box.dataset.optionsUrl).then(function (options) {
        return registering
          ? navigator.credentials.create(creationOptions(options))
          : navigator.credentials.get(requestOptions(options));
      }).then(function (credential) {
        if (!credential) throw new Error(box.dataset.msgCancelled);
        return post(box, box.dataset.answerUrl, {credential: answer(credential), name: name});
      }).then(function (data) {
        window.location.assign(data.redirect);
      }).catch(function (error) {
        if (error && error.name === "NotAllowedError") fail(box.dataset.msgCancelled);
        else if (error && error.name === "InvalidStateError") fail(box.dataset.msgExists);
        else if (error && error.name === "SecurityError") fail(box.dataset.msgUnsupported);
        else fail((error && error.message) || box.dataset.msgFailed);
      });
    }
    if (form) form.addEventListener("submit", start);
    else if (button) button.addEventListener("click", start);
  }

  var boxes = document.querySelectorAll("[data-passkey]");
  for (var i = 0; i < boxes.length; i++) setUp(boxes[i]);
})();
