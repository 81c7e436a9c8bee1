// Barcode scanners type the code and press Enter. On the pharmacy forms Enter in a field marked
// data-enter-next moves to the next field instead of submitting a half-filled receipt or prescription.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !target || !target.hasAttribute || !target.hasAttribute("data-enter-next")) { return; }
    var form = target.form;
    if (!form) { return; }
    var fields = Array.prototype.filter.call(form.elements, function (el) {
      return (el.tagName === "INPUT" || el.tagName === "SELECT") && el.type !== "hidden" && !el.disabled;
    });
    var next = fields[fields.indexOf(target) + 1];
    if (next) { event.preventDefault(); next.focus(); }
  });
})();
