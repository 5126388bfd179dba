// Passkeys: registration on the profile page, sign-in (button and conditional UI) on
// the sign-in page. The device checks the fingerprint, face or PIN; only signatures
// leave it.
(function () {
  if (!window.PublicKeyCredential || !window.fetch) { return; }
  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error_description || "error"); } return j; });
    });
  }
  function show(id, message) { var el = document.getElementById(id); if (el) { el.textContent = message; el.hidden = false; } }

  var add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var csrf = add.getAttribute("data-csrf");
      post("/passkeys/register/start", { csrf: csrf }).then(function (start) {
        var pk = start.options.publicKey;
        pk.challenge = toBytes(pk.challenge);
        pk.user.id = toBytes(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
        return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
          return post("/passkeys/register/finish", { csrf: csrf, ceremony: start.ceremony,
            name: (document.getElementById("passkey-name") || {}).value || "",
            credential: { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, extensions: {},
              response: { attestationObject: toB64url(cred.response.attestationObject),
                clientDataJSON: toB64url(cred.response.clientDataJSON) } } });
        });
      }).then(function () { window.location.assign("/account?done=passkey"); })
        .catch(function (e) { show("passkey-error", e.message); });
    });
  }

  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.hidden = false;
    var csrf = signIn.getAttribute("data-csrf"), rid = signIn.getAttribute("data-rid");
    var pending = null;
    function run(mediation) {
      if (pending) { pending.abort(); }
      pending = window.AbortController ? new AbortController() : null;
      return post("/passkeys/login/start", { csrf: csrf }).then(function (start) {
        var pk = start.options.publicKey;
        pk.challenge = toBytes(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
        var options = { publicKey: pk };
        if (mediation) { options.mediation = mediation; }
        if (pending) { options.signal = pending.signal; }
        return navigator.credentials.get(options).then(function (cred) {
          return post("/passkeys/login/finish", { csrf: csrf, ceremony: start.ceremony, rid: rid,
            credential: { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, extensions: {},
              response: { authenticatorData: toB64url(cred.response.authenticatorData),
                clientDataJSON: toB64url(cred.response.clientDataJSON),
                signature: toB64url(cred.response.signature),
                userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null } } });
        });
      }).then(function (done) { window.location.assign(done.location); });
    }
    signIn.addEventListener("click", function () { run(null).catch(function (e) { show("passkey-error", e.message); }); });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) { run("conditional").catch(function () {}); }
      });
    }
  }
})();
