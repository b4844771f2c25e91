// The launch page on the separate content origin (templates/scorm_runtime/launch.html).
//
// SCORM content looks for its run-time API in its parent frames. Here, on the content origin, that
// API is scorm-again's CrossFrameAPI: it answers the content at once from a cache and relays every
// call to the player page on the LMS's origin by postMessage, where the real API and the commits
// live. The cache is filled with the learner's data before the content is loaded, so a package that
// reads cmi.suspend_data right after Initialize finds it.
(function () {
  "use strict";
  var frame = document.getElementById("sco");
  var parentOrigin = frame.getAttribute("data-parent-origin");
  var api = new window.CrossFrameAPI(parentOrigin, window.parent);
  if (frame.getAttribute("data-version") === "1.2") {
    window.API = api;
  } else {
    window.API_1484_11 = api;
  }
  var loaded = false;
  function load() {
    if (!loaded) {
      loaded = true;
      frame.src = frame.getAttribute("data-src");
    }
  }
  // _post and _cache belong to the vendored CrossFrameAPI (scorm-again 3.4.3, pinned): the
  // prefetch its own Initialize does, done once before the content starts.
  api._post("getFlattenedCMI", []).then(function (all) {
    Object.keys(all || {}).forEach(function (key) {
      if (typeof all[key] === "string") {
        api._cache.set(key, all[key]);
      }
    });
    load();
  }, load);
  window.setTimeout(load, 5000);
})();
