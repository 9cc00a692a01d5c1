// Shows "このイベントは終了しました" once the reader's day is past the event's end.
// The built page never depends on the build date, so an incremental publication and a
// full build write the same bytes; without JavaScript the listings still mark it.
(function () {
  "use strict";
  var notes = document.querySelectorAll("p.past-note[data-ends]");
  var now = new Date();
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  for (var i = 0; i < notes.length; i += 1) {
    if (notes[i].getAttribute("data-ends").slice(0, 10) < today) {
      notes[i].hidden = false;
    }
  }
})();
