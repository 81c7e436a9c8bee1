// Orders pages: choosing services on the order form, and the doctor's live results (Server-Sent Events).
(function () {
  "use strict";

  // Order entry: a search result button adds the service to the chosen list (a hidden input the form submits).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add-service]") : null;
    if (button) {
      var code = button.getAttribute("data-add-service");
      var chosen = document.getElementById("chosen");
      if (!chosen || chosen.querySelector('input[value="' + CSS.escape(code) + '"]')) { return; }
      var item = document.createElement("li");
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "service_code"; input.value = code;
      var label = document.createElement("span");
      label.textContent = code + " – " + button.getAttribute("data-name");
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "outline secondary"; remove.textContent = "×";
      remove.setAttribute("aria-label", "remove " + code);
      remove.addEventListener("click", function () { item.remove(); });
      item.append(input, label, remove);
      chosen.append(item);
      return;
    }
  });

  // The doctor's results: each change to one of my orders arrives as an `order` event; the row is fetched and
  // put in place (new ones on top). EventSource reconnects by itself, sending the last event id.
  var table = document.getElementById("results-table");
  if (!table || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var rows = document.getElementById("result-rows");
  var source = new EventSource(table.getAttribute("data-stream"));
  source.onopen = function () { if (status) { status.textContent = table.getAttribute("data-live-text"); status.dataset.live = "1"; } };
  source.onerror = function () { if (status) { status.textContent = table.getAttribute("data-offline-text"); status.dataset.live = "0"; } };
  source.addEventListener("order", function (message) {
    var change = JSON.parse(message.data);
    if (change.kind !== "resulted" && change.kind !== "verified" && change.kind !== "acknowledged") { return; }
    fetch(table.getAttribute("data-row-url") + change.order_id, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        if (!row) { return; }
        var old = document.getElementById(row.id);
        if (old) { old.replaceWith(row); } else { rows.prepend(row); }
        row.classList.add("fresh");
        var none = document.getElementById("no-results");
        if (none) { none.remove(); }
      });
  });
})();
