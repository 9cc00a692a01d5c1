// Availability of an event (空きあり / 残りわずか / 満員 / キャンセル待ち受付中), read from the
// intake's JSON endpoint. Progressive enhancement: without this script the page still
// shows the event and its apply link; with it, one line of live status appears.
(function () {
  "use strict";
  function show(element) {
    var url = element.getAttribute("data-availability-url");
    if (!url || !window.fetch) {
      return;
    }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || typeof data.label !== "string") {
          return;
        }
        var text = "申込状況: " + data.label;
        if (typeof data.remaining === "number" && (data.status === "available" || data.status === "few")) {
          text += "（残り" + data.remaining + "人）";
        }
        element.textContent = text;
        element.className = "availability availability-" + String(data.status).replace(/[^a-z]/g, "");
        element.hidden = false;
      })
      .catch(function () {
        // Leave the line hidden: the apply link works without it.
      });
  }
  function start() {
    var elements = document.querySelectorAll("[data-availability-url]");
    for (var i = 0; i < elements.length; i += 1) {
      show(elements[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
