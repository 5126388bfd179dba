// Waits for the phone's decision on a QR sign-in, then completes it. Without
// JavaScript the "I have approved" button does the same.
(function () {
  var box = document.getElementById("qr");
  if (!box || !window.fetch) { return; }
  var token = box.getAttribute("data-token");
  var tries = 0;
  function check() {
    tries += 1;
    fetch("/qr/" + token + "/status", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { status: "expired" }; })
      .then(function (body) {
        if (body.status === "pending" && tries < 70) { setTimeout(check, 2000); return; }
        window.location.assign("/qr/" + token + "/complete");
      })
      .catch(function () { if (tries < 70) { setTimeout(check, 4000); } });
  }
  setTimeout(check, 2000);
})();
