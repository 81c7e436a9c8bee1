// The ticket slip prints itself (the kiosk's receipt printer is the default printer) and returns to the kiosk.
(function () {
  "use strict";
  var root = document.querySelector("[data-slip]");
  if (!root) { return; }
  var back = root.getAttribute("data-back") || "/queues/kiosk";
  root.querySelector("[data-print]").addEventListener("click", function () { window.print(); });
  window.addEventListener("load", function () {
    setTimeout(function () { window.print(); }, 100);
    setTimeout(function () { window.location.assign(back); }, 10000);
  });
})();
