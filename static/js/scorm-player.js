// The SCORM player (templates/scorm_runtime/player.html; assignments/scorm_runtime).
//
// It starts scorm-again's run-time API with the data the server gave (json_script "scorm-config"),
// exposes it where SCORM content looks for it (window.API for 1.2, window.API_1484_11 for 2004) or,
// with a separate content origin, answers the launch page's postMessage calls (CrossFrameLMS), and
// only then loads the content into the frame. What the content sets is sent to the server as JSON
// with the CSRF token: on every Commit/LMSCommit and Terminate/LMSFinish, every 30 seconds when
// something changed, and when the page is hidden or left (a keep-alive request, which survives the
// tab being closed). Each request carries the session id and a sequence number, so a late, older
// request never undoes a newer one.
(function () {
  "use strict";
  var configNode = document.getElementById("scorm-config");
  var frame = document.getElementById("scorm-frame");
  if (!configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var statusBox = document.getElementById("scorm-status");
  var live = document.getElementById("scorm-status-live");

  function show(message, link) {
    if (!statusBox || !message) {
      return;
    }
    statusBox.textContent = message;
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      anchor.className = "ms-2";
      statusBox.appendChild(anchor);
    }
    statusBox.classList.remove("d-none");
    if (live) {
      live.textContent = message;
    }
  }

  if (!config.sco) {
    if (frame) {
      frame.src = frame.getAttribute("data-src");
    }
    return;
  }

  var is2004 = config.version !== "1.2";
  var settings = { autocommit: false, lmsCommitUrl: false, logLevel: 4 };
  var api = is2004 ? new window.Scorm2004API(settings) : new window.Scorm12API(settings);
  api.loadFromJSON(config.cmi);
  if (is2004) {
    window.API_1484_11 = api;
  } else {
    window.API = api;
  }
  if (config.contentOrigin && window.CrossFrameLMS) {
    // The launch page on the content origin relays the content's calls here; only that origin is heard.
    new window.CrossFrameLMS(api, config.contentOrigin);
  }
  if (config.preview || !config.commitUrl) {
    // An admin's preview (assignments/scorm_runtime/preview.py): the content talks to the API, but
    // what it sets stays in this page; nothing is sent to the server.
    api.on(is2004 ? "Commit" : "LMSCommit", function () {
      document.body.setAttribute("data-scorm-preview-commits", String(Number(document.body.getAttribute("data-scorm-preview-commits") || 0) + 1));
    });
    if (frame) {
      frame.src = frame.getAttribute("data-src");
    }
    return;
  }

  function newSessionId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var session = newSessionId();
  var started = Date.now();
  var seq = 0;
  var dirty = false;
  var inflight = false;
  var queued = false;
  var done = 0;
  var closed = false;
  var navRequest = "";
  var finishedShown = false;
  var leaving = false;

  function payload() {
    var flat = api.getFlattenedCMI();
    var cmi = {};
    Object.keys(flat).forEach(function (key) {
      if (typeof flat[key] === "string") {
        cmi[key] = flat[key];
      }
    });
    seq += 1;
    return JSON.stringify({
      run: config.run,
      session: session,
      seq: seq,
      elapsed: Math.round((Date.now() - started) / 10) / 100,
      cmi: cmi,
    });
  }

  function post(body, keepalive) {
    return window.fetch(config.commitUrl, {
      method: "POST",
      credentials: "same-origin",
      // A keep-alive request may carry at most 64 KiB; a larger one goes as a normal request.
      keepalive: keepalive && body.length < 60000,
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
      body: body,
    });
  }

  function handle(response) {
    return response.json().then(function (data) {
      done += 1;
      document.body.setAttribute("data-scorm-commits", String(done));
      if (!response.ok) {
        show(data.error || "");
        return;
      }
      if (finishedShown) {
        return; // the result stays on screen; later commits of the same page record nothing more
      }
      finishedShown = Boolean(data.finished);
      if (data.finished || data.message) {
        var next = data.finished ? null : config.nextUrl;
        var link = data.finished
          ? { href: config.courseUrl, text: config.backText }
          : next && closed
            ? { href: next, text: config.nextText }
            : null;
        show(data.message, link);
      }
      if (data.finished) {
        document.body.setAttribute("data-scorm-finished", data.passed === false ? "failed" : "passed");
      }
    });
  }

  function commit() {
    if (inflight) {
      queued = true;
      return;
    }
    inflight = true;
    dirty = false;
    post(payload(), false)
      .then(handle)
      .catch(function () {
        dirty = true;
      })
      .then(function () {
        inflight = false;
        if (queued) {
          queued = false;
          commit();
        }
      });
  }

  function commitOnLeave() {
    if ((closed || leaving) && !dirty) {
      return;
    }
    dirty = false;
    post(payload(), true).catch(function () {});
  }

  var commitEvent = is2004 ? "Commit" : "LMSCommit";
  var finishEvent = is2004 ? "Terminate" : "LMSFinish";
  var setEvent = is2004 ? "SetValue.cmi.*" : "LMSSetValue.cmi.*";
  api.on(setEvent, function () {
    dirty = true;
  });
  api.on(commitEvent, function () {
    window.setTimeout(commit, 0);
  });
  if (is2004) {
    api.on("SetValue.adl.nav.request", function (element, value) {
      navRequest = String(value || "");
    });
  }
  api.on(finishEvent, function () {
    window.setTimeout(function () {
      commit();
      closed = true;
      var target = null;
      if (navRequest === "continue") {
        target = config.nextUrl;
      } else if (navRequest === "previous") {
        target = config.previousUrl;
      } else if (navRequest.indexOf("{target=") === 0) {
        var id = navRequest.slice(8, navRequest.indexOf("}"));
        target = (config.choiceUrls || {})[id] || null;
      }
      if (target) {
        // Leave once the commit is through (the page's own leaving would also send it).
        var wait = window.setInterval(function () {
          if (!inflight) {
            window.clearInterval(wait);
            window.location.href = target;
          }
        }, 50);
      }
    }, 0);
  });
  window.setInterval(function () {
    if (dirty && !closed) {
      commit();
    }
  }, 30000);
  window.addEventListener("pagehide", commitOnLeave);
  // Moving to another part from the table of contents: the data goes first, then the page, so the
  // two requests never cross.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-scorm-toc] a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    leaving = true;
    dirty = false;
    var go = function () {
      window.location.href = link.href;
    };
    post(payload(), false).then(handle, go).then(go, go);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      commitOnLeave();
    }
  });

  if (frame) {
    frame.src = frame.getAttribute("data-src");
  }
})();
