// Display screen: follows the live feed (Server-Sent Events) and reads every call aloud in Vietnamese with the
// browser's speech synthesis. The feed resumes after a lost connection or a server restart (Last-Event-ID).
(function () {
  "use strict";
  var root = document.querySelector("[data-display]");
  if (!root) { return; }
  var lang = root.getAttribute("data-lang") || "vi";
  var calledBody = root.querySelector("[data-called]");
  var linesBox = root.querySelector("[data-lines]");
  var announceBox = root.querySelector("[data-announce]");
  var live = root.querySelector("[data-live]");
  var soundButton = root.querySelector("[data-enable-sound]");
  var soundOn = false;
  var lastEventId = parseInt(root.getAttribute("data-event-id") || "0", 10);

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function voice() {
    if (!window.speechSynthesis) { return null; }
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang && voices[i].lang.toLowerCase().indexOf(lang) === 0) { return voices[i]; }
    }
    return null;
  }

  function speak(text) {
    if (!soundOn || !window.speechSynthesis || !text) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang === "vi" ? "vi-VN" : "en-US";
    utterance.rate = 0.9;
    var chosen = voice();
    if (chosen) { utterance.voice = chosen; }
    window.speechSynthesis.speak(utterance);
    // Read it twice, as callers in a hall do: the first time people only look up.
    window.speechSynthesis.speak(utterance);
  }

  function cell(text, className, testId) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    if (testId) { td.setAttribute("data-testid", testId); }
    return td;
  }

  function showCall(call) {
    var row = calledBody.querySelector('tr[data-counter="' + CSS.escape(call.counter_code || "") + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.setAttribute("data-counter", call.counter_code || "");
      row.appendChild(cell("", "display-number", "called-" + call.counter_code));
      row.appendChild(cell(call.counter_label || ""));
      calledBody.insertBefore(row, calledBody.firstChild);
    }
    row.cells[0].textContent = call.label;
    row.cells[1].textContent = call.counter_label || "";
    row.classList.remove("flash");
    void row.offsetWidth;  // restart the animation
    row.classList.add("flash");
    announceBox.textContent = call.announcement || "";
    speak(call.announcement);
  }

  function showBoard(board) {
    var rows = {};
    Array.prototype.forEach.call(calledBody.querySelectorAll("tr[data-counter]"), function (row) {
      rows[row.getAttribute("data-counter")] = row;
    });
    var seen = {};
    board.called.forEach(function (call) {
      seen[call.counter_code] = true;
      var row = rows[call.counter_code];
      if (!row) {
        row = document.createElement("tr");
        row.setAttribute("data-counter", call.counter_code);
        row.appendChild(cell(call.label, "display-number", "called-" + call.counter_code));
        row.appendChild(cell(call.counter_label));
        calledBody.appendChild(row);
      } else {
        row.cells[0].textContent = call.label;
        row.cells[1].textContent = call.counter_label;
      }
    });
    Object.keys(rows).forEach(function (code) { if (!seen[code]) { rows[code].remove(); } });
    linesBox.textContent = "";
    board.lines.forEach(function (line) {
      var article = document.createElement("article");
      article.className = "display-line";
      article.setAttribute("data-point", line.service_point_code);
      var title = document.createElement("h3");
      title.textContent = line.service_point_name;
      var next = document.createElement("p");
      next.className = "display-next";
      next.textContent = line.next_labels.join("  ");
      var count = document.createElement("p");
      count.className = "muted";
      var text = format(root.getAttribute("data-waiting-label"), { count: line.waiting });
      if (line.waiting) { text += " · " + format(root.getAttribute("data-minutes-label"), { minutes: line.estimated_wait_minutes }); }
      count.textContent = text;
      article.appendChild(title); article.appendChild(next); article.appendChild(count);
      linesBox.appendChild(article);
    });
  }

  function connect() {
    var query = "lang=" + encodeURIComponent(lang) + "&after=" + lastEventId;
    var points = root.getAttribute("data-points");
    if (points) { query += "&points=" + encodeURIComponent(points); }
    var source = new EventSource("/api/v1/queues/display/stream?" + query);
    source.addEventListener("open", function () { live.hidden = false; });
    source.addEventListener("error", function () {
      live.hidden = true;
      // The browser retries a dropped stream by itself, but gives up on an error answer (a proxy's 502 while
      // the server restarts): then open a new one, resuming after the last event seen.
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 2000); }
    });
    source.addEventListener("call", function (event) {
      lastEventId = Math.max(lastEventId, parseInt(event.lastEventId || "0", 10));
      showCall(JSON.parse(event.data));
    });
    source.addEventListener("board", function (event) {
      lastEventId = Math.max(lastEventId, parseInt(event.lastEventId || "0", 10));
      showBoard(JSON.parse(event.data));
    });
  }

  function tick() {
    var now = new Date();
    root.querySelector("[data-clock]").textContent =
      String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  // Browsers speak only after a person has touched the page once (autoplay rules): one touch at set-up.
  soundButton.addEventListener("click", function () {
    soundOn = true;
    soundButton.hidden = true;
    if (window.speechSynthesis) { window.speechSynthesis.getVoices(); }
  });
  tick();
  setInterval(tick, 10000);
  connect();
})();
