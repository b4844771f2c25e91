"""Small SCO pages for the browser tests: plain HTML and JavaScript that find the run-time API the
way real packages do (walking up the parent frames), read what the LMS gives them, and set, commit
and finish on the learner's clicks."""

from __future__ import annotations

SCO_12_JS = r"""
(function () {
  function findAPI(win) {
    var tries = 0;
    while (!win.API && win.parent && win.parent !== win && tries < 10) { win = win.parent; tries++; }
    return win.API || null;
  }
  function out(id, value) { document.getElementById(id).textContent = value; }
  var api = findAPI(window);
  if (!api) { out("status", "no API"); return; }
  api.LMSInitialize("");
  out("entry", api.LMSGetValue("cmi.core.entry"));
  out("student", api.LMSGetValue("cmi.core.student_name"));
  out("mastery", api.LMSGetValue("cmi.student_data.mastery_score"));
  out("status", api.LMSGetValue("cmi.core.lesson_status"));
  if (api.LMSGetValue("cmi.core.lesson_status") === "not attempted") {
    api.LMSSetValue("cmi.core.lesson_status", "incomplete");
    api.LMSCommit("");
  }
  document.getElementById("finish").addEventListener("click", function () {
    var score = document.getElementById("score").value;
    api.LMSSetValue("cmi.interactions.0.id", "q-reporting");
    api.LMSSetValue("cmi.interactions.0.type", "choice");
    api.LMSSetValue("cmi.interactions.0.student_response", Number(score) >= 80 ? "b" : "c");
    api.LMSSetValue("cmi.interactions.0.result", Number(score) >= 80 ? "correct" : "wrong");
    api.LMSSetValue("cmi.core.score.raw", score);
    api.LMSSetValue("cmi.core.lesson_status", "completed");
    api.LMSSetValue("cmi.core.session_time", "00:02:00");
    api.LMSCommit("");
    api.LMSFinish("");
    out("status", "finished");
  });
})();
"""

SCO_12_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Reporting concerns</title>
<link rel="stylesheet" href="style.css"></head><body>
<h1>Reporting concerns</h1>
<p>Entry: <span id="entry"></span>; learner: <span id="student"></span>; mastery: <span id="mastery"></span>;
status: <span id="status"></span>; inline scripts: <span id="inline">blocked</span></p>
<label for="score">Score</label> <input id="score" value="85">
<button id="finish" type="button">Finish the lesson</button>
<script>document.getElementById("inline").textContent = "run";</script>
<script src="sco.js"></script>
</body></html>"""

SCO_2004_JS = r"""
(function () {
  function findAPI(win) {
    var tries = 0;
    while (!win.API_1484_11 && win.parent && win.parent !== win && tries < 10) { win = win.parent; tries++; }
    return win.API_1484_11 || null;
  }
  function out(id, value) { document.getElementById(id).textContent = value; }
  var api = findAPI(window);
  if (!api) { out("status", "no API"); return; }
  api.Initialize("");
  out("entry", api.GetValue("cmi.entry"));
  out("location", api.GetValue("cmi.location"));
  out("suspend", api.GetValue("cmi.suspend_data"));
  out("passing", api.GetValue("cmi.scaled_passing_score"));
  out("status", "ready");
  var part = document.body.getAttribute("data-part");
  document.getElementById("page2").addEventListener("click", function () {
    // Set but not committed: only the player's leaving commit can save it.
    api.SetValue("cmi.location", "page-2");
    api.SetValue("cmi.suspend_data", "progress=50;answers=" + part);
    api.SetValue("cmi.exit", "suspend");
    out("status", "on page 2");
  });
  document.getElementById("complete").addEventListener("click", function () {
    var scaled = document.getElementById("scaled").value;
    api.SetValue("cmi.interactions.0.id", "q-" + part);
    api.SetValue("cmi.interactions.0.type", "true-false");
    api.SetValue("cmi.interactions.0.learner_response", "true");
    api.SetValue("cmi.interactions.0.result", "correct");
    api.SetValue("cmi.interactions.0.description", "Question of " + part);
    api.SetValue("cmi.score.scaled", scaled);
    api.SetValue("cmi.completion_status", "completed");
    api.SetValue("cmi.success_status", "passed");
    api.SetValue("cmi.exit", "normal");
    api.SetValue("cmi.session_time", "PT1M30S");
    api.SetValue("adl.nav.request", "continue");
    api.Commit("");
    api.Terminate("");
    out("status", "finished");
  });
})();
"""


def sco_2004_html(part: str) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{part}</title></head>
<body data-part="{part}"><h1>{part}</h1>
<p>Entry: <span id="entry"></span>; location: <span id="location"></span>; suspend data:
<span id="suspend"></span>; passing: <span id="passing"></span>; status: <span id="status"></span></p>
<button id="page2" type="button">Go to page 2</button>
<label for="scaled">Scaled score</label> <input id="scaled" value="0.9">
<button id="complete" type="button">Complete this part</button>
<script src="../sco.js"></script>
</body></html>"""


def files_12() -> dict[str, str]:
    return {"index.html": SCO_12_HTML, "sco.js": SCO_12_JS, "style.css": "body { font-family: sans-serif; }"}


def files_2004() -> dict[str, str]:
    return {
        "sco.js": SCO_2004_JS,
        "sco1/index.html": sco_2004_html("Part 1"),
        "sco2/index.html": sco_2004_html("Part 2"),
    }
