// Uploads: choose a file, drop it anywhere on the panel, paste it, or take a photo; see it before sending.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var input = document.getElementById("image");
  if (!form || !input) { return; }
  var camera = document.getElementById("camera");
  var preview = document.getElementById("preview");
  var previewImage = document.getElementById("preview-image");
  var previewName = document.getElementById("preview-name");
  var problem = document.getElementById("client-error");
  var LIMIT = 10 * 1024 * 1024;

  function say(message) {
    problem.textContent = message;
    problem.hidden = !message;
  }

  function show(file) {
    if (!file) { preview.hidden = true; return; }
    if (file.type && file.type.indexOf("image/") !== 0) {
      say(file.name + " is not a picture: choose a PNG, JPEG, GIF, BMP, WebP or TIFF file.");
    } else if (file.size > LIMIT) {
      say(file.name + " is larger than 10 MB: choose a smaller picture.");
    } else {
      say("");
    }
    var reader = new FileReader();
    reader.onload = function () {
      previewImage.src = reader.result;
      previewName.textContent = file.name + " (" + Math.round(file.size / 1024) + " KB)";
      preview.hidden = false;
    };
    reader.readAsDataURL(file);
  }

  function take(file) {
    // Put the file into the form's own field, so that sending works as for a chosen file.
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    show(file);
  }

  input.addEventListener("change", function () { show(input.files[0]); });
  camera.addEventListener("change", function () { if (camera.files[0]) { take(camera.files[0]); } });

  ["dragenter", "dragover"].forEach(function (kind) {
    form.addEventListener(kind, function (event) {
      event.preventDefault();
      form.classList.add("dropping");
    });
  });
  ["dragleave", "drop"].forEach(function (kind) {
    form.addEventListener(kind, function () { form.classList.remove("dropping"); });
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    var file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) { take(file); }
  });

  document.addEventListener("paste", function (event) {
    var items = (event.clipboardData && event.clipboardData.items) || [];
    for (var index = 0; index < items.length; index += 1) {
      if (items[index].kind === "file" && items[index].type.indexOf("image/") === 0) {
        event.preventDefault();
        take(items[index].getAsFile());
        return;
      }
    }
  });

  form.addEventListener("submit", function (event) {
    var file = input.files[0];
    if (file && file.size > LIMIT) {
      event.preventDefault();
      say(file.name + " is larger than 10 MB: choose a smaller picture.");
    }
  });
}());
