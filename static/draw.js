// Drawing pad: pointer events cover mouse, touch and pen; the page must not scroll while drawing.
(function () {
  "use strict";
  var pad = document.getElementById("pad");
  if (!pad) { return; }
  var context = pad.getContext("2d");
  var form = document.getElementById("draw-form");
  var hidden = document.getElementById("image_data");
  var hint = document.getElementById("draw-hint");
  var drawing = false;
  var hasInk = false;
  var last = null;

  // A brush about a tenth of the pad: after scaling to 28x28 it looks like MNIST's strokes.
  context.lineWidth = 20;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  context.fillStyle = "#000";

  function point(event) {
    var rect = pad.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * pad.width / rect.width,
             y: (event.clientY - rect.top) * pad.height / rect.height };
  }

  pad.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
    context.fill();
    hasInk = true;
    hint.hidden = true;
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    event.preventDefault();
    var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    if (events.length === 0) { events = [event]; }
    events.forEach(function (each) {
      var next = point(each);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
  });
  function stop() { drawing = false; last = null; }
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);
  // Belt and braces for browsers that still scroll on touch despite touch-action: none.
  pad.addEventListener("touchmove", function (event) { event.preventDefault(); }, { passive: false });

  document.getElementById("clear").addEventListener("click", function () {
    context.clearRect(0, 0, pad.width, pad.height);
    hasInk = false;
  });

  form.addEventListener("submit", function (event) {
    if (!hasInk) {
      event.preventDefault();
      hint.hidden = false;
      return;
    }
    // Black strokes on a transparent background: the server composites the transparency.
    hidden.value = pad.toDataURL("image/png");
  });
}());
