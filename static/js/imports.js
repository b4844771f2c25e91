// Upload progress: polls the job's small JSON status and reloads when checking or importing ends.
(function () {
  "use strict";
  // "Confirm and import" is pressed once: the button is disabled as the form goes, so a second
  // press (or Enter) sends nothing more; the page that comes back follows the import.
  document.querySelectorAll("form[data-import-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitted")) { event.preventDefault(); return; }
      form.setAttribute("data-submitted", "1");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
    });
  });
  var box = document.querySelector("[data-import-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-import-status-url");
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-import-label]");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (bar) {
          bar.max = Math.max(data.total, 1);
          bar.value = data.processed;
          bar.textContent = data.processed;
        }
        if (label) { label.textContent = data.status_label + " · " + data.processed + " / " + data.total; }
        if (data.running) { window.setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
