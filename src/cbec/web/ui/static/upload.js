// Drag-and-drop onto the file field, and the upload's progress from htmx's XHR events.
(function () {
  var C = JSON.parse(document.getElementById("cbec-config").textContent);
  var zone = document.getElementById("drop-zone");
  var input = document.getElementById("file-input");
  var label = document.getElementById("drop-label");
  var bar = document.getElementById("upload-bar");
  var phase = document.getElementById("upload-phase");
  if (!zone) return;
  function show() { if (input.files.length) label.textContent = input.files[0].name; }
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach(function (e) { zone.addEventListener(e, function (ev) { ev.preventDefault(); zone.classList.add("over"); }); });
  ["dragleave", "drop"].forEach(function (e) { zone.addEventListener(e, function (ev) { ev.preventDefault(); zone.classList.remove("over"); }); });
  zone.addEventListener("drop", function (ev) { if (ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; show(); } });
  document.body.addEventListener("htmx:xhr:progress", function (ev) {
    if (!ev.detail.lengthComputable) return;
    var pct = Math.round((ev.detail.loaded / ev.detail.total) * 100);
    bar.value = pct;
    phase.textContent = pct < 100 ? C.uploading + " " + pct + "%" : C.processing + "…";
  });
  document.body.addEventListener("htmx:beforeRequest", function () { bar.value = 0; phase.textContent = C.uploading; });
})();
