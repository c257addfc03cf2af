// The drawing pad: pointer events cover mouse, touch and pen; every stroke can be undone; each time
// the pen lifts, the drawing is read through the JSON API and shown beside the pad.
(function () {
  "use strict";
  var pad = document.getElementById("pad");
  if (!pad) { return; }
  var context = pad.getContext("2d");
  var form = document.getElementById("draw-form");
  var hidden = document.getElementById("image_data");
  var hint = document.getElementById("draw-hint");
  var brush = document.getElementById("brush");
  var liveText = document.getElementById("live-text");
  var liveWarning = document.getElementById("live-warning");
  var liveDigits = document.getElementById("live-digits");
  var strokes = [];
  var current = null;
  var pending = null;
  var asked = 0;
  // Round trips of live readings (pen up to reading on screen), in milliseconds, for the tests.
  window.digitsLive = { timings: [], readings: 0 };

  function point(event) {
    var rect = pad.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * pad.width / rect.width,
             y: (event.clientY - rect.top) * pad.height / rect.height };
  }

  function drawStroke(stroke) {
    context.lineWidth = stroke.width;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#000";
    context.fillStyle = "#000";
    var first = stroke.points[0];
    context.beginPath();
    context.arc(first.x, first.y, stroke.width / 2, 0, 2 * Math.PI);
    context.fill();
    context.beginPath();
    context.moveTo(first.x, first.y);
    stroke.points.slice(1).forEach(function (next) { context.lineTo(next.x, next.y); });
    context.stroke();
  }

  function redraw() {
    context.clearRect(0, 0, pad.width, pad.height);
    strokes.forEach(drawStroke);
  }

  pad.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    current = { width: Number(brush.value), points: [point(event)] };
    strokes.push(current);
    drawStroke(current);
    hint.hidden = true;
  });
  pad.addEventListener("pointermove", function (event) {
    if (!current) { return; }
    event.preventDefault();
    var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    (events.length ? events : [event]).forEach(function (each) {
      var last = current.points[current.points.length - 1];
      var next = point(each);
      current.points.push(next);
      context.lineWidth = current.width;
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
    });
  });
  function penUp() {
    if (!current) { return; }
    current = null;
    readSoon();
  }
  pad.addEventListener("pointerup", penUp);
  pad.addEventListener("pointercancel", penUp);
  // Belt and braces for browsers that still scroll on touch despite touch-action: none.
  pad.addEventListener("touchmove", function (event) { event.preventDefault(); }, { passive: false });

  function undo() {
    if (!strokes.length) { return; }
    strokes.pop();
    redraw();
    readSoon();
  }
  function clear() {
    strokes = [];
    redraw();
    readSoon();
  }
  document.getElementById("undo").addEventListener("click", undo);
  document.getElementById("clear").addEventListener("click", clear);
  document.addEventListener("keydown", function (event) {
    var typing = event.target.tagName === "INPUT" || event.target.tagName === "SELECT";
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !typing) {
      event.preventDefault();
      undo();
    } else if (event.target === pad && (event.key === "Delete" || event.key === "Backspace")) {
      event.preventDefault();
      clear();
    }
  });
  brush.addEventListener("input", function () { brush.setAttribute("aria-valuetext", brush.value + " pixels"); });
  document.addEventListener("digits:model", function () { if (strokes.length) { readSoon(); } });

  // Live reading: debounced, so a quick second stroke does not send twice; older answers are dropped.
  function readSoon() {
    window.clearTimeout(pending);
    pending = window.setTimeout(readNow, 80);
  }

  function inkBox() {
    var pixels = context.getImageData(0, 0, pad.width, pad.height).data;
    var top = pad.height;
    var bottom = -1;
    for (var y = 0; y < pad.height; y += 2) {
      for (var x = 0; x < pad.width; x += 2) {
        if (pixels[(y * pad.width + x) * 4 + 3] > 40) { top = Math.min(top, y); bottom = Math.max(bottom, y); }
      }
    }
    return bottom < 0 ? null : { height: bottom - top + 1 };
  }

  function readNow() {
    var started = window.performance.now();
    var box = inkBox();
    asked += 1;
    var mine = asked;
    if (!box) {
      liveText.textContent = "Draw a digit to see it read.";
      liveWarning.hidden = true;
      liveDigits.textContent = "";
      return;
    }
    var model = window.digitsModel ? window.digitsModel() : "";
    fetch("/api/predict?inputs=1" + (model ? "&model=" + encodeURIComponent(model) : ""), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: pad.toDataURL("image/png") })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (mine !== asked) { return; }
      show(answer, box);
      window.digitsLive.timings.push(window.performance.now() - started);
      window.digitsLive.readings += 1;
    }).catch(function () {
      if (mine === asked) { liveText.textContent = "Could not reach the reader; try again."; }
    });
  }

  function show(answer, box) {
    liveDigits.textContent = "";
    if (answer.status !== 200) {
      liveText.textContent = answer.status === 422 ? "No digit found yet." : answer.body.error;
      liveWarning.hidden = true;
      return;
    }
    var body = answer.body;
    liveText.textContent = body.text ? "Read: " + body.text.replace(/\n/g, " / ") : "No digit found yet.";
    var unsure = body.digits.some(function (digit) { return digit.verdict !== "digit"; });
    var small = box.height < 0.3 * pad.height;
    liveWarning.textContent = small ? "Your digits are small: write them larger, filling the guide." :
      (unsure ? "Not sure about the marked digits: write them larger and leave a gap between digits." : "");
    liveWarning.hidden = !(small || unsure);
    body.digits.forEach(function (digit) { liveDigits.appendChild(digitCard(digit)); });
  }

  function digitCard(digit) {
    var card = document.createElement("figure");
    card.className = "live-digit " + digit.verdict.replace(/ /g, "-");
    var picture = document.createElement("img");
    picture.src = digit.input;
    picture.width = 56;
    picture.height = 56;
    picture.alt = "what the model saw";
    card.appendChild(picture);
    var caption = document.createElement("figcaption");
    caption.textContent = digit.verdict === "not a digit" ? "not a digit" :
      digit.digit + " · " + Math.round(100 * digit.confidence) + "%" + (digit.verdict === "unsure" ? " · unsure" : "");
    card.appendChild(caption);
    var bars = document.createElement("div");
    bars.className = "mini-bars";
    bars.setAttribute("aria-hidden", "true");
    digit.probabilities.forEach(function (probability, index) {
      var bar = document.createElement("span");
      bar.className = index === digit.digit ? "best" : "";
      bar.style.height = Math.max(1, Math.round(40 * probability)) + "px";
      bar.title = index + ": " + Math.round(100 * probability) + "%";
      bars.appendChild(bar);
    });
    card.appendChild(bars);
    return card;
  }

  form.addEventListener("submit", function (event) {
    if (!strokes.length) {
      event.preventDefault();
      hint.hidden = false;
      return;
    }
    // Black strokes on a transparent background: the server composites the transparency.
    hidden.value = pad.toDataURL("image/png");
  });
}());
