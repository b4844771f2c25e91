// A module's video watched to its end marks the module as done: the `ended` event posts the
// hidden form named by the video's data-watched-form (its CSRF token included) in the background.
(function () {
  "use strict";
  document.querySelectorAll("video[data-watched-form]").forEach(function (video) {
    var form = document.getElementById(video.getAttribute("data-watched-form"));
    if (!form) {
      return;
    }
    var sent = false;
    video.addEventListener("ended", function () {
      if (sent) {
        return;
      }
      sent = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          if (response.ok) {
            video.setAttribute("data-watched", "true");
          } else {
            sent = false;
          }
        })
        .catch(function () {
          sent = false;
        });
    });
  });
})();
