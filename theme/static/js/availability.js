// Availability of an event ("Availability: Places available (20 places left)"), read from
// the intake's JSON endpoint, which words it in the page's language (?lang= on its link).
// Progressive enhancement: without this script the page still shows the event and its
// apply link; with it, one line of live status appears.
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
        // The line comes whole from the intake, in the language the page's link asked for.
        if (!data || typeof data.text !== "string") {
          return;
        }
        element.textContent = data.text;
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
