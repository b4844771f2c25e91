"""The demo SCORM 1.2 package "Manual handling: lifting safely", built in memory for `seed_demo`.

One SCO: ``index.html`` teaches in two short lessons and ends with a four-question quiz that talks to
the LMS through the SCORM 1.2 run-time API (LMSInitialize, cmi.core.lesson_location and
cmi.suspend_data while reading, one cmi.interactions.n entry per answer, cmi.core.score.*,
cmi.core.lesson_status, cmi.core.session_time, LMSCommit and LMSFinish); ``checklist.html`` is a
printable summary linked from the lessons. The manifest's mastery score (75) becomes the course's
pass mark on import. ``QUIZ`` is what the page asks, so the demo's learners can commit real answers.
"""

from __future__ import annotations

import io
import json
import zipfile
from xml.sax.saxutils import escape

TITLE = "Manual handling: lifting safely"
MASTERY_SCORE = 75

# (interaction id, question, choices as (id, text), the right choice's id)
QUIZ = [
    (
        "q1_assess",
        "Before lifting a box you have not moved before, what do you do first?",
        [
            ("a", "Lift it quickly to test the weight"),
            ("b", "Check its weight, grip and the route"),
            ("c", "Ask someone else to lift it"),
        ],
        "b",
    ),
    (
        "q2_posture",
        "Where should the load be while you carry it?",
        [
            ("a", "Close to your waist, heaviest side towards you"),
            ("b", "At arm's length so you can see your feet"),
            ("c", "On one shoulder"),
        ],
        "a",
    ),
    (
        "q3_twist",
        "You need to put the load down to your side. How do you turn?",
        [("a", "Twist at the waist, keeping your feet still"), ("b", "Move your feet and turn your whole body")],
        "b",
    ),
    (
        "q4_report",
        "Your back hurts after a lift at work. What now?",
        [
            ("a", "Carry on and see if it passes"),
            ("b", "Tell your team leader and record it in the accident book"),
            ("c", "Take a painkiller and say nothing"),
        ],
        "b",
    ),
]

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.manual-handling" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
        http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>{title}</title>
      <item identifier="item_lifting" identifierref="res_lifting">
        <title>{title}</title>
        <adlcp:masteryscore>{mastery}</adlcp:masteryscore>
        <adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res_lifting" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
      <file href="checklist.html"/>
      <file href="course.css"/>
      <file href="scorm.js"/>
      <file href="quiz.js"/>
    </resource>
  </resources>
</manifest>
"""

CSS = """body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 1.5rem auto; padding: 0 1rem;
  line-height: 1.5; color: #212529; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 1.5rem; }
section[hidden] { display: none; }
fieldset { border: 1px solid #ced4da; border-radius: .4rem; margin: 1rem 0; padding: .75rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
label { display: block; margin: .25rem 0; }
button { font: inherit; padding: .4rem 1rem; border-radius: .4rem; border: 1px solid #0d6efd;
  background: #0d6efd; color: #fff; cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #fd7e14; outline-offset: 2px; }
.result { font-weight: 600; } .tip { background: #e7f1ff; padding: .5rem .75rem; border-radius: .4rem; }
"""

SCORM_JS = """/* Finds the LMS's SCORM 1.2 API (window.API in a parent or opener frame) and wraps its calls. */
var SCORM = (function () {
  var api = null, started = Date.now();
  function find(win) {
    for (var hops = 0; win && hops < 10; hops++) {
      if (win.API) { return win.API; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  return {
    start: function () {
      api = find(window) || (window.opener && find(window.opener));
      return api ? api.LMSInitialize("") === "true" : false;
    },
    get: function (name) { return api ? api.LMSGetValue(name) : ""; },
    set: function (name, value) { return api ? api.LMSSetValue(name, String(value)) === "true" : false; },
    commit: function () { return api ? api.LMSCommit("") === "true" : false; },
    finish: function () {
      if (!api) { return false; }
      var s = Math.round((Date.now() - started) / 1000);
      api.LMSSetValue("cmi.core.session_time", pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60));
      var done = api.LMSFinish("") === "true";
      api = null;
      return done;
    }
  };
})();
"""

QUIZ_JS = """/* Lessons and quiz: where the learner is is kept in cmi.core.lesson_location, the quiz is scored
   here and reported with one interaction per question, the score and passed or failed. */
var QUIZ = %(quiz)s, MASTERY = %(mastery)d;
function show(id) {
  var sections = document.querySelectorAll("section");
  for (var i = 0; i < sections.length; i++) { sections[i].hidden = sections[i].id !== id; }
  document.getElementById(id).querySelector("h2").focus();
  SCORM.set("cmi.core.lesson_location", id);
  SCORM.set("cmi.suspend_data", JSON.stringify({seen: id}));
  SCORM.commit();
}
function submitQuiz(event) {
  event.preventDefault();
  var right = 0;
  for (var n = 0; n < QUIZ.length; n++) {
    var q = QUIZ[n], picked = document.querySelector("input[name='" + q.id + "']:checked");
    var answer = picked ? picked.value : "";
    var ok = answer === q.right;
    if (ok) { right++; }
    SCORM.set("cmi.interactions." + n + ".id", q.id);
    SCORM.set("cmi.interactions." + n + ".type", "choice");
    SCORM.set("cmi.interactions." + n + ".correct_responses.0.pattern", q.right);
    SCORM.set("cmi.interactions." + n + ".student_response", answer);
    SCORM.set("cmi.interactions." + n + ".result", ok ? "correct" : "wrong");
    SCORM.set("cmi.interactions." + n + ".weighting", "1");
  }
  var score = Math.round(right * 100 / QUIZ.length);
  SCORM.set("cmi.core.score.min", "0");
  SCORM.set("cmi.core.score.max", "100");
  SCORM.set("cmi.core.score.raw", score);
  SCORM.set("cmi.core.lesson_status", score >= MASTERY ? "passed" : "failed");
  SCORM.set("cmi.core.exit", "");
  SCORM.commit();
  SCORM.finish();
  var result = document.getElementById("result");
  result.textContent = "You scored " + score + "%% (" + right + " of " + QUIZ.length + "). " +
    (score >= MASTERY ? "Passed: well done." : "Not passed this time: read the lessons again and retry.");
  result.focus();
  document.getElementById("quiz-form").querySelector("button").disabled = true;
}
window.addEventListener("load", function () {
  SCORM.start();
  if (SCORM.get("cmi.core.lesson_status") === "not attempted") { SCORM.set("cmi.core.lesson_status", "incomplete"); }
  var where = SCORM.get("cmi.core.lesson_location");
  show(where && document.getElementById(where) ? where : "lesson-1");
  document.getElementById("quiz-form").addEventListener("submit", submitQuiz);
});
window.addEventListener("beforeunload", function () { SCORM.finish(); });
"""

LESSONS = """<section id="lesson-1">
  <h2 tabindex="-1">1. Think before you lift</h2>
  <p>Most manual handling injuries at work come from lifting without a plan. Before you move a load,
  look at the <strong>task</strong>, the <strong>load</strong>, the <strong>environment</strong> and
  <strong>yourself</strong> (TILE):</p>
  <ul>
    <li>How heavy is it, and is the weight even? Rock it gently to find out.</li>
    <li>Is there a good grip? Use handles, gloves or a container if not.</li>
    <li>Is the route clear, the floor dry and even, the space where it goes free?</li>
    <li>Can a trolley, pallet truck or a second person do it better?</li>
  </ul>
  <p class="tip">Keep the <a href="checklist.html" target="_blank" rel="noopener">lifting checklist</a> by
  your workstation.</p>
  <button type="button" onclick="show('lesson-2')">Next: the lift</button>
</section>
<section id="lesson-2" hidden>
  <h2 tabindex="-1">2. The lift, step by step</h2>
  <ol>
    <li>Feet apart, one leg slightly forward, close to the load.</li>
    <li>Bend your knees and hips, not your back; keep your back's natural curve.</li>
    <li>Get a firm grip and keep the load close to your waist, heaviest side towards you.</li>
    <li>Lift smoothly with your legs, head up, looking ahead.</li>
    <li>Turn by moving your feet: never twist and lift at the same time.</li>
    <li>Put it down, then adjust it into place.</li>
  </ol>
  <p>Felt a pull or a twinge? Stop, tell your team leader and record it in the accident book, even
  if it seems minor.</p>
  <button type="button" onclick="show('quiz')">Next: the quiz</button>
</section>
"""

CHECKLIST = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lifting checklist</title><link rel="stylesheet" href="course.css"></head>
<body><main>
<h1>Lifting checklist</h1>
<ol>
  <li>Do I need to lift it at all? Use a trolley or pallet truck where you can.</li>
  <li>Weight and grip checked; heavy side known.</li>
  <li>Route clear, floor dry, space ready where it goes.</li>
  <li>Stable base, bend the knees, load close to the waist.</li>
  <li>Move the feet to turn; no twisting.</li>
  <li>Too heavy or awkward? Ask for help: a team lift is planned, not improvised.</li>
  <li>Any pain: stop, tell your team leader, record it.</li>
</ol>
</main></body></html>
"""


def _quiz_html() -> str:
    fieldsets = []
    for number, (qid, text, choices, _right) in enumerate(QUIZ, start=1):
        options = "".join(
            f'<label><input type="radio" name="{qid}" value="{cid}" required> {escape(label)}</label>'
            for cid, label in choices
        )
        fieldsets.append(f"<fieldset><legend>{number}. {escape(text)}</legend>{options}</fieldset>")
    return (
        '<section id="quiz" hidden>\n  <h2 tabindex="-1">3. Check what you know</h2>\n'
        f"  <p>Four questions; {MASTERY_SCORE}% to pass.</p>\n"
        '  <form id="quiz-form">' + "".join(fieldsets) + '<button type="submit">Submit my answers</button></form>\n'
        '  <p id="result" class="result" tabindex="-1" aria-live="polite"></p>\n</section>\n'
    )


def _index_html() -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(TITLE)}</title><link rel="stylesheet" href="course.css">'
        '<script src="scorm.js"></script><script src="quiz.js"></script></head>\n'
        f"<body><main>\n<h1>{escape(TITLE)}</h1>\n{LESSONS}{_quiz_html()}</main></body></html>\n"
    )


def build_demo_package() -> bytes:
    """The zip's bytes (deterministic: fixed dates, so the same package every time)."""
    quiz = [{"id": qid, "right": right} for qid, _text, _choices, right in QUIZ]
    files = {
        "imsmanifest.xml": MANIFEST.format(title=escape(TITLE), mastery=MASTERY_SCORE),
        "index.html": _index_html(),
        "checklist.html": CHECKLIST,
        "course.css": CSS,
        "scorm.js": SCORM_JS,
        "quiz.js": QUIZ_JS % {"quiz": json.dumps(quiz), "mastery": MASTERY_SCORE},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 5, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def demo_commits(*, answers: dict[str, str]) -> list[dict[str, str]]:
    """The commits ``index.html`` makes for a learner who reads both lessons and gives ``answers``
    (interaction id -> choice id; a question left out was not answered): what the run-time API
    receives, in order, so the demo's attempts are the ones the page would record."""
    commits = [
        {
            "cmi.core.lesson_status": "incomplete",
            "cmi.core.lesson_location": "lesson-1",
            "cmi.suspend_data": json.dumps({"seen": "lesson-1"}),
        },
        {"cmi.core.lesson_location": "lesson-2", "cmi.suspend_data": json.dumps({"seen": "lesson-2"})},
        {"cmi.core.lesson_location": "quiz", "cmi.suspend_data": json.dumps({"seen": "quiz"})},
    ]
    if not answers:
        return commits
    final: dict[str, str] = {}
    right = 0
    for n, (qid, _text, _choices, correct) in enumerate(QUIZ):
        answer = answers.get(qid, "")
        right += answer == correct
        final |= {
            f"cmi.interactions.{n}.id": qid,
            f"cmi.interactions.{n}.type": "choice",
            f"cmi.interactions.{n}.correct_responses.0.pattern": correct,
            f"cmi.interactions.{n}.student_response": answer,
            f"cmi.interactions.{n}.result": "correct" if answer == correct else "wrong",
            f"cmi.interactions.{n}.weighting": "1",
        }
    score = round(right * 100 / len(QUIZ))
    final |= {
        "cmi.core.score.min": "0",
        "cmi.core.score.max": "100",
        "cmi.core.score.raw": str(score),
        "cmi.core.lesson_status": "passed" if score >= MASTERY_SCORE else "failed",
        "cmi.core.exit": "",
        "cmi.core.session_time": "00:11:40",
    }
    return [*commits, final]
