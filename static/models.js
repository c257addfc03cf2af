// One model choice for the whole page: every form sends it, and it is kept across visits.
(function () {
  "use strict";
  var select = document.getElementById("model");
  if (!select) { return; }
  var fields = document.querySelectorAll(".model-field");
  var asked = new URLSearchParams(window.location.search).get("model");
  var saved = null;
  try { saved = window.localStorage.getItem("digits-model"); } catch (ignored) { saved = null; }
  var offered = Array.prototype.map.call(select.options, function (option) { return option.value; });
  if (!asked && saved && offered.indexOf(saved) >= 0) { select.value = saved; }

  function sync() {
    fields.forEach(function (field) { field.value = select.value; });
    try { window.localStorage.setItem("digits-model", select.value); } catch (ignored) { /* private mode */ }
    document.dispatchEvent(new CustomEvent("digits:model", { detail: select.value }));
  }
  select.addEventListener("change", sync);
  sync();
  window.digitsModel = function () { return select.value; };
}());
