"""Words and formats (issue 13 item 22): one date format per language, one score format, plurals
through ngettext, one spelling of "pre-test".

The guards read the templates and modules; the view tests read a few pages as people see them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from assignments.models import ImportJob
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Quiz
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from lms.dates import day_text, moment_text, record_day
from lms.scores import percent_text
from lms.tests.factories import AdminFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("lms", "courses", "assignments", "escalation", "reports")


def _templates():
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in {".html", ".txt"}:
            yield path, path.read_text()


# --- the guards ---------------------------------------------------------------------------------

# ``|date:"..."`` / ``|time:"..."`` with a format of its own. The named formats of the language are
# the one definition (lms/formats); a machine format is allowed only as the value of a
# ``datetime`` or ``value`` attribute (<time datetime>, a date input).
EXPLICIT_FORMAT = re.compile(r"\|(date|time):\s*(['\"])(?P<fmt>[^'\"]*)\2")
NAMED_FORMATS = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT"}
MACHINE_ATTRIBUTE = re.compile(r"""(datetime|value)="[^"]*$""")


def test_no_template_spells_out_a_date_format_of_its_own():
    offenders = []
    for path, text in _templates():
        for match in EXPLICIT_FORMAT.finditer(text):
            if match.group("fmt") in NAMED_FORMATS:
                continue
            line_start = text.rfind("\n", 0, match.start()) + 1
            if match.group("fmt") in {"c", "Y-m-d"} and MACHINE_ATTRIBUTE.search(text[line_start : match.start()]):
                continue
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == [], "show dates with |day or |date (the language's DATE_FORMAT):\n" + "\n".join(offenders)


# Python formatting a date for people by hand: strftime, a format spec in an f-string, or
# date_format with a literal format of its own. A stamp in an identifier or a file name
# (``%Y%m%d-%H%M%S``) is not for reading; a format with spaces or month and day names is.
PYTHON_DATE_FORMAT = re.compile(
    r"strftime\(\s*['\"](?P<a>[^'\"]*)|\{[^{}]*:(?P<b>%[^{}]*)\}|date_format\([^)]*,\s*['\"](?P<c>[^'\"]*)"
)
NAMED_IN_PYTHON = NAMED_FORMATS
READ_BY_PEOPLE = re.compile(r"\s|%[bBaApZ]")  # strftime: spaces, month or day names


def _formats_for_people(line: str) -> bool:
    for match in PYTHON_DATE_FORMAT.finditer(line):
        if match.group("c") is not None:
            if match.group("c") not in NAMED_IN_PYTHON:
                return True
        elif READ_BY_PEOPLE.search(match.group("a") or match.group("b") or ""):
            return True
    return False


MACHINE_USES = {
    # a certificate number's stamp, an identifier
    "assignments/evidence.py",
    # CSV and XLSX cells: ISO for the machines that read them
    "reports/exports.py",
    # the Django admin's object names
    "lms/models.py",
    "escalation/models.py",
    # the SQL that writes the site's DATE_FORMAT into case files in one statement
    "escalation/workflows/sql.py",
}


def test_no_module_formats_a_date_for_people_by_hand():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if "tests" in path.parts or "migrations" in path.parts or relative in MACHINE_USES:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if _formats_for_people(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "use lms.dates.day_text / moment_text / record_day:\n" + "\n".join(offenders)


# A percentage shown without the one format: a dotted name ending in "percent" printed without
# |percent, or any value followed by a literal "%" sign (the filter adds it).
PERCENT_OUTPUT = re.compile(r"\{\{\s*(?P<name>[\w.]+)\s*(?P<filters>\|[^}]*)?\}\}(?P<sign>%?)")


def test_every_template_shows_percentages_through_the_percent_filter():
    offenders = []
    for path, text in _templates():
        for match in PERCENT_OUTPUT.finditer(text):
            name, filters = match.group("name"), (match.group("filters") or "").replace(" ", "")
            if text[max(0, match.start() - 7) : match.start()].endswith('value="'):
                continue  # a <progress value>, a number for the machine
            dotted_percent = "." in name and name.rsplit(".", 1)[1].endswith("percent")
            if match.group("sign") or (dotted_percent and not filters.startswith("|percent")):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == [], "show percentages with |percent (lms.scores.percent_text):\n" + "\n".join(offenders)


def _visible_text(template: str) -> str:
    """A template's words as people read them: without template tags, variables, comments and
    HTML tags (ids and class names such as ``pretest-heading`` are not words on screen)."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"\{%\s*(?!translate|blocktranslate|plural|endblocktranslate).*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    return re.sub(r"<[^>]*>", " ", text)


PRETEST = re.compile(r"\bpre\s?test", re.IGNORECASE)
GETTEXT_STRING = re.compile(r"""\b_\(\s*(['"])(?P<text>.*?)\1""")


def test_pre_test_is_spelt_one_way():
    offenders = []
    for path, text in _templates():
        for match in PRETEST.finditer(_visible_text(text)):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for match in GETTEXT_STRING.finditer(path.read_text()):
                if PRETEST.search(match.group("text")):
                    offenders.append(f"{path.relative_to(ROOT)}: {match.group('text')}")
    for path in (ROOT / "courses" / "packages").glob("*.json"):
        for match in re.finditer(r'"(title|description|body)":\s*"([^"]*)"', path.read_text()):
            if PRETEST.search(match.group(2)):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(2)}")
    assert offenders == [], "write “pre-test”:\n" + "\n".join(offenders)


# "attempt(s)": a word that cannot count. Plurals go through ngettext / blocktranslate count (or,
# in the English of records written in SQL, escalation.workflows.sql.days_word).
MAYBE_PLURAL = re.compile(r"""["'][^"'\n]*\b[a-z]+\(s\)[^"'\n]*["']""")


def test_no_word_is_left_to_count_itself():
    offenders = []
    for path, text in _templates():
        for match in re.finditer(r"\b[a-z]+\(s\)", _visible_text(text)):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if MAYBE_PLURAL.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "use ngettext or {% blocktranslate count %}:\n" + "\n".join(offenders)


# --- the one definition -------------------------------------------------------------------------


def test_one_date_format_per_language():
    day = dt.date(2026, 12, 9)
    moment = dt.datetime(2026, 12, 9, 14, 5, tzinfo=dt.UTC)
    with timezone.override("Europe/London"):
        with translation.override("en-gb"):
            assert (day_text(day), moment_text(moment)) == ("9 Dec 2026", "9 Dec 2026, 14:05 GMT")
        with translation.override("en"):
            assert (day_text(day), moment_text(moment)) == ("Dec 9, 2026", "Dec 9, 2026, 2:05 PM GMT")
            # Stored text (a case file's reason) is written in the site's format whoever writes it.
            assert record_day(day) == "9 Dec 2026"


@pytest.mark.parametrize("value,shown", [(100, "100%"), ("100.00", "100%"), (0.0, "0%"), (36.4, "36.4%"), (None, "")])
def test_one_score_format(value, shown):
    assert percent_text(value) == shown


# --- pages as people read them ------------------------------------------------------------------

pytestmark = pytest.mark.django_db

ISO_DAY = re.compile(r">[^<]*\b20\d\d-\d\d-\d\d\b[^<]*<")
US_OR_LONG = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{1,2}, 20\d\d|\b\d{1,2} (January|February|March|April|June|July|August|September|October|November|December) 20\d\d"
)


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _assert_british_dates_only(html: str, url: str) -> None:
    assert not ISO_DAY.search(html), f"{url} shows an ISO date to people: {ISO_DAY.search(html).group(0)}"
    assert not US_OR_LONG.search(html), f"{url} shows another date format: {US_OR_LONG.search(html).group(0)}"


@pytest.fixture
def learner_with_history():
    learner = UserFactory(first_name="Lee", email="lee@example.com")
    course = make_course(questions=2, modules=1, code="FIRE-1", title="Fire safety")
    done = AssignmentFactory(learner=learner, course=course, due_date=dt.date(2026, 12, 9))
    final = course.quizzes.get(kind=Quiz.Kind.FINAL)
    attempt = attempt_start(assignment=done, quiz=final)
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    due = AssignmentFactory(
        learner=learner,
        course=make_course(questions=1, modules=1, code="GDPR-1", title="Data protection"),
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )
    return learner, done, due, attempt


def test_the_learner_home_says_due_once_with_one_date_format_and_plural_modules(learner_with_history):
    learner, _done, due, _attempt = learner_with_history
    client = Client()
    client.force_login(learner)
    html = _page(client, reverse("home"))
    card = html[html.index(due.course.title) :]
    assert f"by {day_text(due.due_date)}" in card
    assert "Due Due" not in re.sub(r"<[^>]+>|\s+", " ", html).replace("  ", " ")
    assert "0 of 1 module done" in card
    assert "0 of 1 modules" not in html
    _assert_british_dates_only(html, "home")


def test_the_result_and_history_show_scores_as_percent_and_dates_one_way(learner_with_history):
    learner, done, _due, attempt = learner_with_history
    client = Client()
    client.force_login(learner)
    result = _page(client, reverse("player_result", kwargs={"attempt_pk": attempt.pk}))
    assert "You scored 100%; the pass mark is 80%." in result
    assert "100.00" not in result
    _assert_british_dates_only(result, "result")
    course_page = _page(client, reverse("player_course", kwargs={"assignment_pk": done.pk}))
    assert "Your grade (highest attempt): 100%." in course_page or "Your grade (last attempt): 100%." in course_page
    _assert_british_dates_only(course_page, "course")
    history = _page(client, reverse("assignments:my_history"))
    assert ">100%<" in history
    _assert_british_dates_only(history, "history")


def test_a_manager_reads_the_person_page_and_dashboard_with_one_format(learner_with_history):
    learner, _done, _due, _attempt = learner_with_history
    manager = UserFactory(first_name="Mo")
    learner.manager = manager
    learner.save()
    client = Client()
    client.force_login(manager)
    record = _page(client, reverse("person_detail", kwargs={"pk": learner.pk}) + "?tab=record")
    assert "(best 100%)" in record
    _assert_british_dates_only(record, "person page")
    dashboard = _page(client, reverse("reports_team_dashboard"))
    # One course done of two: 50%, not "50.0%".
    assert re.search(r'data-testid="headline-percent">\s*50%\s*<', dashboard)
    _assert_british_dates_only(dashboard, "team dashboard")


def test_a_us_english_reader_gets_the_us_format_everywhere(learner_with_history):
    learner, done, _due, _attempt = learner_with_history
    learner.locale = "en"
    learner.save()
    client = Client(headers={"accept-language": "en-GB"})  # their own language wins over the browser's
    client.force_login(learner)
    html = _page(client, reverse("player_course", kwargs={"assignment_pk": done.pk}))
    completed_on = done.completions.get().completed_on
    with translation.override("en"):
        expected = day_text(completed_on)
    assert expected.startswith(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))
    assert f"Completed on {expected}." in html
    assert not re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d", html)
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\. ", html), "no “Aug. 3” abbreviation dots"


def test_a_signed_in_person_reads_dates_in_their_own_language_as_in_their_emails(learner_with_history):
    """A British-English person on a browser set to US English: pages in their language (as their
    emails are), not "Jan 15, 2030" on one screen and "15 Jan 2030" in the email about it."""
    learner, done, _due, _attempt = learner_with_history
    client = Client(headers={"accept-language": "en-US"})
    client.force_login(learner)
    html = _page(client, reverse("player_course", kwargs={"assignment_pk": done.pk}))
    with translation.override("en-gb"):
        expected = day_text(done.completions.get().completed_on)
    assert f"Completed on {expected}." in html
    _assert_british_dates_only(html, "course page")


def test_a_finished_import_says_what_it_did():
    admin = AdminFactory()
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.USERS,
        filename="people.csv",
        content=b"email\n",
        created_by=admin,
        status=ImportJob.Status.DONE,
        summary={"create": 3, "update": 1, "unchanged": 0, "lines": []},
    )
    client = Client()
    client.force_login(admin)
    html = _page(client, reverse("assignments:upload", kwargs={"pk": job.pk}))
    assert "3 people added" in html
    assert "1 person updated" in html
    assert "to add" not in html
    job.status = ImportJob.Status.READY
    job.save()
    assert "3 people to add" in _page(client, reverse("assignments:upload", kwargs={"pk": job.pk}))


def test_the_organisation_trend_shows_percentages_and_dates_one_way(learner_with_history):
    from reports.services import run_compliance_snapshot

    run_compliance_snapshot(as_of=timezone.now())
    client = Client()
    client.force_login(AdminFactory())
    html = _page(client, reverse("reports_organisation"))
    trend = html[html.index('data-testid="trend-table"') :]
    trend = trend[: trend.index("</table>")]
    # One course done of two: 50%, in the same format as every other percentage on the page.
    assert re.search(r'<td class="text-end">50%</td></tr>', trend)
    assert day_text(timezone.localdate()) in trend
    _assert_british_dates_only(html, "organisation report")


def test_date_inputs_show_their_value_in_iso_whatever_the_language():
    """A browser's date input shows only an ISO value: the language's "05/03/2024" left the hire
    date of a person being edited empty (and saving cleared it)."""
    from escalation.models import ReviewSession

    admin = AdminFactory()
    person = UserFactory(hire_date=dt.date(2024, 3, 5))
    starts = timezone.make_aware(dt.datetime(2026, 12, 9, 14, 5))
    session = ReviewSession.objects.create(title="Review", starts_at=starts, ends_at=starts + dt.timedelta(hours=1))
    client = Client()
    client.force_login(admin)
    assert 'value="2024-03-05"' in _page(client, reverse("person_edit", kwargs={"pk": person.pk}))
    edit = _page(client, reverse("escalation:review_session_edit", kwargs={"pk": session.pk}))
    assert 'value="2026-12-09T14:05"' in edit
