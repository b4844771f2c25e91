// Course player behaviour (loaded as a file: the Content-Security-Policy forbids inline scripts).
// A submit button marked data-submit-once is disabled after the first submission so that a
// double click sends one request; the server still records one result if two arrive.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.querySelector) {
      return;
    }
    var button = form.querySelector("[data-submit-once]");
    if (!button) {
      return;
    }
    if (form.getAttribute("data-submitting") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "true");
    window.setTimeout(function () {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }, 0);
  });
})();
