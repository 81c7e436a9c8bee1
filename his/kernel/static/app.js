// Keyboard and barcode-scanner helpers. Scanners type fast and press Enter: fields marked
// data-scan keep focus, select their text on focus (so the next scan replaces it) and submit on Enter.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (event.key === "/" && !typing) {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    }
    if (event.key === "Escape" && typing && target.hasAttribute("data-search")) {
      target.value = ""; target.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-scan") && target.select) { target.select(); }
  });
  document.addEventListener("htmx:afterSwap", function () {
    var scan = document.querySelector("[data-scan][autofocus]");
    if (scan) { scan.focus(); }
  });
})();
