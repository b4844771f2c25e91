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

// Answers of an open attempt are saved as the learner chooses them, one question at a time, so
// that leaving ("your attempt stays open") and coming back finds them chosen: the server renders
// the saved choices, and the form still submits everything without this script. The reply says
// only whether the answer was saved, never whether it is right.
(function () {
  "use strict";
  var form = document.querySelector("form[data-save-url]");
  if (!form || !window.fetch) {
    return;
  }
  var status = form.querySelector("[data-save-status]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var pending = {};

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function save(name) {
    var body = new URLSearchParams();
    body.append("question", name.slice(2));
    form.querySelectorAll("input[name='" + name + "']:checked").forEach(function (input) {
      body.append("choice", input.value);
    });
    var sent = window
      .fetch(form.getAttribute("data-save-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
      })
      .then(function (response) {
        return response.json().then(function (data) {
          if (response.ok && data.saved) {
            say(form.getAttribute("data-saved-text"));
          } else {
            say(data.message || form.getAttribute("data-save-failed-text"));
          }
        });
      })
      .catch(function () {
        say(form.getAttribute("data-save-failed-text"));
      });
    return sent;
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("q_") !== 0) {
      return;
    }
    // One request at a time per question, so the last choice made is the one saved.
    var before = pending[input.name] || Promise.resolve();
    pending[input.name] = before.then(function () {
      return save(input.name);
    });
  });
})();
