// Kiosk: touch a service, then who the number is for; the ticket is taken through the JSON API (public,
// rate-limited) and the slip page prints itself and comes back here.
(function () {
  "use strict";
  var root = document.querySelector("[data-kiosk]");
  if (!root) { return; }
  var pointsStep = root.querySelector('[data-step="points"]');
  var priorityStep = root.querySelector('[data-step="priority"]');
  var errorBox = root.querySelector("[data-error]");
  var chosen = null;
  var busy = false;
  var resetTimer = null;

  function restart() {
    chosen = null; busy = false;
    priorityStep.hidden = true; pointsStep.hidden = false;
    if (resetTimer) { clearTimeout(resetTimer); resetTimer = null; }
  }

  function fail(message) {
    busy = false;
    errorBox.textContent = message || root.getAttribute("data-failed");
    errorBox.hidden = false;
    setTimeout(function () { errorBox.hidden = true; }, 8000);
  }

  function issue(priority) {
    if (busy || !chosen) { return; }
    busy = true;
    fetch("/api/v1/queues/kiosk/tickets?lang=" + encodeURIComponent(root.getAttribute("data-lang") || "vi"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ service_point_code: chosen, priority_code: priority })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) { restart(); fail(result.body && result.body.detail); return; }
      var back = root.getAttribute("data-back") || "/queues/kiosk";
      window.location.assign("/queues/tickets/" + result.body.ticket.id + "/slip?back=" + encodeURIComponent(back));
    }).catch(function () { restart(); fail(); });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    if (button.hasAttribute("data-point")) {
      chosen = button.getAttribute("data-point");
      var onlyNormal = priorityStep.querySelectorAll("[data-priority]").length <= 1;
      if (onlyNormal) { issue("normal"); return; }
      priorityStep.querySelector("[data-chosen]").textContent = button.getAttribute("data-name");
      pointsStep.hidden = true; priorityStep.hidden = false;
      // Someone walked away half-way: the next person starts from the first screen.
      resetTimer = setTimeout(restart, 30000);
    } else if (button.hasAttribute("data-priority")) {
      issue(button.getAttribute("data-priority"));
    } else if (button.hasAttribute("data-restart")) {
      restart();
    }
  });
})();
