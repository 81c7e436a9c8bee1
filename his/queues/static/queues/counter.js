// Counter keyboard shortcuts: a key presses the button marked data-key (N call next, R call again, S skip,
// D served), unless the user is typing in a field.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (!/^[a-z]$/i.test(event.key)) { return; }
    var button = document.querySelector('[data-key="' + event.key.toLowerCase() + '"]');
    if (button) { event.preventDefault(); button.click(); }
  });
})();
