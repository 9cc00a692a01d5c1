// Writes the page's own address into the line printed under an event (site.css @media
// print) when the build could not: a site built with relative links knows no host name.
(function () {
  "use strict";
  var spots = document.querySelectorAll(".print-url-address");
  for (var i = 0; i < spots.length; i += 1) {
    if (!spots[i].textContent) {
      spots[i].textContent = window.location.href.split("#")[0];
    }
  }
})();
