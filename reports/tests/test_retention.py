"""Retention (issue 17): the share of booster answers right at each spacing step, per course,
team and question; the forgetting curve on the team dashboard and the organisation report, its
exports, and the booster wrong-rate on item analysis.

The figures are worked out by hand from this fixture (the ``org`` of conftest: Lee leads p1..p5,
Kim leads q1 and q2, both under Dana; Olly is elsewhere). SAFE's programme has steps on days 2, 7
and 21 (refresher below 60 %); CODE's on days 3 and 10. Question A is copied from SAFE's quiz,
question B is written for the booster. R = right, W = wrong, - = sent, not answered::

    SAFE     step 1   step 2   step 3
    p1       A R      B R      A R
    p2       A R      B W      A W
    p3       B W      A W      A -
    q1       A R      B W      B W
    olly     A W
    leaver   A W      (p6, under Lee, has left: counted on item analysis only)
    CODE: p1 step 1 right.

    Lee (direct reports p1..p3):    step 1 2/3 = 66.7 %, step 2 1/3 = 33.3 %, step 3 1/2 = 50 %
                                    (p3's unanswered step 3 is in neither count); CODE 1/1 = 100 %
    Dana, whole chain (+ q1):       step 1 3/4 = 75 %,   step 2 1/4 = 25 %,   step 3 1/3 = 33.3 %
    Kim (q1):                       step 1 1/1 = 100 %,  step 2 0/1 = 0 %,    step 3 0/1 = 0 %
    Organisation (+ olly):          step 1 3/5 = 60 %,   step 2 1/4 = 25 %,   step 3 1/3 = 33.3 %

    Lee by question: A step 1 2/2, step 2 0/1, step 3 1/2; B step 1 0/1, step 2 1/2.
    Item analysis (everyone, every step): A 8 answers, 4 wrong = 50 %; B 5 answers, 4 wrong = 80 %.
"""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import Question
from courses.tests.factories import CompletionFactory
from lms.tests.factories import UserFactory
from reports.selectors import Scope
from reports.selectors.retention import booster_items, retention, retention_by_course, retention_by_question
from reports.tests import boosters_data
from reports.tests.conftest import D, at, days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=False):
        yield


@pytest.fixture
def boosters(org):
    safe = boosters_data.programme(org.safe, schedule=(2, 7, 21), threshold=60)
    code = boosters_data.programme(org.code, schedule=(3, 10), threshold=70)
    source = Question.objects.filter(quiz__course=org.safe).order_by("order", "pk").first()
    qa = boosters_data.question(safe, "Question A: who may open the fire door?", source=source, order=1)
    qb = boosters_data.question(safe, "Question B: where is the assembly point?", order=2)
    qc = boosters_data.question(code, "Question C: whom do you tell?", order=1)
    leaver = UserFactory(email="p6@example.com", manager=org.lee, department=org.sales, is_active=False)
    p1, p2, p3 = org.p[:3]
    q1 = org.q[0]
    plan = {
        p1: [(qa, True), (qb, True), (qa, True)],
        p2: [(qa, True), (qb, False), (qa, False)],
        p3: [(qb, False), (qa, False), (qa, None)],
        q1: [(qa, True), (qb, False), (qb, False)],
        org.olly: [(qa, False)],
        leaver: [(qa, False)],
    }
    for person, steps in plan.items():
        completion = CompletionFactory(learner=person, course=org.safe, completed_at=at(days(-30)))
        for step, (asked, right) in enumerate(steps, start=1):
            boosters_data.answer(completion, asked, step, right, at=at(days(-30 + 7 * step)))
    completion = CompletionFactory(learner=p1, course=org.code, completed_at=at(days(-20)))
    boosters_data.answer(completion, qc, 1, True, at=at(days(-17)))
    return SimpleNamespace(safe=safe, code=code, qa=qa, qb=qb, qc=qc, source=source, leaver=leaver)


def figures(curve) -> list[tuple]:
    return [(s.step, s.day, s.answered, s.right, s.percent) for s in curve.steps]


def test_the_team_curve_is_the_hand_computed_one_for_each_scope(org, boosters):
    lee = retention_by_course(Scope(manager_id=org.lee.pk))
    assert [c.key for c in lee] == ["CODE", "SAFE"]
    assert figures(lee[1]) == [(1, 2, 3, 2, 66.7), (2, 7, 3, 1, 33.3), (3, 21, 2, 1, 50.0)]
    assert figures(lee[0]) == [(1, 3, 1, 1, 100.0), (2, 10, 0, 0, None)]
    assert (lee[1].label, lee[1].threshold, lee[0].threshold) == ("SAFE · Safety basics", 60, 70)

    [dana] = [c for c in retention_by_course(Scope(manager_id=org.director.pk, subtree=True)) if c.key == "SAFE"]
    assert figures(dana) == [(1, 2, 4, 3, 75.0), (2, 7, 4, 1, 25.0), (3, 21, 3, 1, 33.3)]
    assert retention_by_course(Scope(manager_id=org.director.pk)) == []  # Lee and Kim answered none
    [kim] = retention_by_course(Scope(manager_id=org.kim.pk, subtree=True))
    assert figures(kim) == [(1, 2, 1, 1, 100.0), (2, 7, 1, 0, 0.0), (3, 21, 1, 0, 0.0)]
    everyone = {c.key: c for c in retention_by_course(Scope())}
    assert figures(everyone["SAFE"]) == [(1, 2, 5, 3, 60.0), (2, 7, 4, 1, 25.0), (3, 21, 3, 1, 33.3)]
    assert (everyone["SAFE"].answered, everyone["SAFE"].right, everyone["SAFE"].percent) == (12, 5, 41.7)
    # The course filter and the department filter narrow it like the compliance figures.
    assert [c.key for c in retention_by_course(Scope(course_code="CODE"))] == ["CODE"]
    assert retention_by_course(Scope(department_ids=(org.ops.pk,)))[0].steps[0].answered == 1  # olly


def test_by_question_each_question_has_its_own_curve(org, boosters):
    curves = retention_by_question(Scope(manager_id=org.lee.pk, course_code="SAFE"))
    assert [c.question_id for c in curves] == [boosters.qa.pk, boosters.qb.pk]
    assert [(s.answered, s.right) for s in curves[0].steps] == [(2, 2), (1, 0), (2, 1)]
    assert [(s.answered, s.right) for s in curves[1].steps] == [(1, 0), (2, 1), (0, 0)]


def test_a_step_beyond_a_shortened_schedule_is_still_shown(org, boosters):
    boosters.safe.schedule_days = [2, 7]
    boosters.safe.save()
    [safe] = retention_by_course(Scope(manager_id=org.lee.pk, course_code="SAFE"))
    assert figures(safe)[2] == (3, None, 2, 1, 50.0)


def _more_answers(org, boosters, n: int) -> None:
    for index in range(n):
        person = UserFactory(manager=org.lee, department=org.sales)
        completion = CompletionFactory(learner=person, course=org.safe, completed_at=at(days(-30)))
        for step in (1, 2, 3):
            boosters_data.answer(completion, boosters.qa if step % 2 else boosters.qb, step, index % 2 == 0)


@pytest.mark.parametrize("scope", ["direct", "chain", "chain-read-once", "organisation"])
def test_the_figures_take_the_same_queries_for_ten_times_the_answers(org, boosters, scope, django_assert_num_queries):
    def read():
        chosen = {
            "direct": Scope(manager_id=org.lee.pk),
            "chain": Scope(manager_id=org.director.pk, subtree=True),
            "chain-read-once": Scope(manager_id=org.director.pk, subtree=True).with_people(),
            "organisation": Scope(),
        }[scope]
        # the answers counted per course, step and question; the programmes with their titles
        with django_assert_num_queries(2):
            return retention(chosen)

    small = read()
    _more_answers(org, boosters, 30)
    large = read()
    assert sum(c.answered for c in large[0]) == sum(c.answered for c in small[0]) + 90


def test_the_dashboard_page_takes_the_same_queries_for_ten_times_the_answers(client, org, boosters):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.director)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reports_team_dashboard"), {"scope": "all", "live": "1"}).status_code == 200
        return len(queries)

    small = count()
    _more_answers(org, boosters, 30)
    assert count() == small


def rows_of(html: str, course: str) -> list[tuple[str, ...]]:
    body = re.search(rf'data-course="{course}">(.*?)</tbody>', html, re.S).group(1)
    rows = []
    for row in re.findall(r'<tr data-testid="retention-step".*?</tr>', body, re.S):
        rows.append(
            tuple(
                re.search(rf'data-testid="{name}">(.*?)</td>', row, re.S).group(1).strip()
                for name in ("answered", "right", "right-percent")
            )
        )
    return rows


def test_the_team_dashboard_shows_the_curve_chart_and_its_table(client, org, boosters):
    client.force_login(org.lee)
    html = client.get(reverse("reports_team_dashboard")).content.decode()
    assert 'data-testid="panel-retention"' in html
    assert rows_of(html, "SAFE") == [("3", "2", "66.7%"), ("3", "1", "33.3%"), ("2", "1", "50%")]
    assert rows_of(html, "CODE") == [("1", "1", "100%"), ("0", "0", "—")]
    chart = re.search(r'<figure class="report-figure" data-testid="retention-chart">(.*?)</figure>', html, re.S).group(
        1
    )
    # The chart's text alternative carries the same figures; both layouts are drawn.
    assert 'role="img"' in chart and chart.count("<svg") == 2
    assert "SAFE · Safety basics: Step 1: 66.7%; Step 2: 33.3%; Step 3: 50%" in chart
    assert "CODE · Code of conduct: Step 1: 100%" in chart
    assert "Refresher offered below 60% right" in html


def test_each_point_of_the_chart_is_drawn_at_its_percentage(org, boosters):
    from reports.retention import retention_chart

    svg = retention_chart(retention_by_course(Scope(manager_id=org.lee.pk, course_code="SAFE")))
    wide = svg.split("</svg>")[0]
    # the wide layout's plot runs from y=10 (100 %) down to y=212 (0 %): 240 high, less 10 above and 28 below
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', wide)][:3]
    assert ys == [pytest.approx(10 + 202 * (1 - p / 100), abs=0.1) for p in (66.7, 33.3, 50.0)]


def test_a_manager_without_answers_in_their_team_reads_so(client, org, boosters):
    lead = UserFactory(department=org.sales)
    UserFactory(manager=lead, department=org.sales)  # who has answered no booster
    client.force_login(lead)
    html = client.get(reverse("reports_team_dashboard")).content.decode()
    assert 'data-testid="retention-empty"' in html and 'data-testid="retention-chart"' not in html


def test_no_panel_while_no_course_has_boosters(client, org):
    client.force_login(org.lee)
    assert 'data-testid="panel-retention"' not in client.get(reverse("reports_team_dashboard")).content.decode()


def xlsx(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_team_export_carries_the_hand_computed_figures(client, org, boosters):
    client.force_login(org.lee)
    response = client.get(reverse("reports_team_retention_export", args=["csv"]))
    assert response["Content-Disposition"] == f'attachment; filename="team-retention-{D.isoformat()}.csv"'
    rows = [
        (r["Course code"], r["Step"], r["Days after completion"], r["Answered"], r["Right"], r["Right %"])
        for r in csv_rows(response)
    ]
    assert rows == [
        ("CODE", "1", "3", "1", "1", "100.0"),
        ("CODE", "2", "10", "0", "0", ""),
        ("SAFE", "1", "2", "3", "2", "66.7"),
        ("SAFE", "2", "7", "3", "1", "33.3"),
        ("SAFE", "3", "21", "2", "1", "50.0"),
    ]

    workbook = load_workbook(io.BytesIO(xlsx(client.get(reverse("reports_team_retention_export", args=["xlsx"])))))
    sheet = workbook["By course and step"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[2] == ["SAFE", "Safety basics", 1, 2, 3, 2, pytest.approx(0.667)]
    assert sheet.cell(row=4, column=7).number_format == "0.0%"
    questions = [[c.value for c in row] for row in workbook["By question and step"].iter_rows(min_row=2)]
    assert ["SAFE", boosters.qb.text, 2, 7, 2, 1, pytest.approx(0.5)] in questions


def test_the_team_export_follows_the_dashboards_filters(client, org, boosters):
    client.force_login(org.director)
    rows = csv_rows(
        client.get(reverse("reports_team_retention_export", args=["csv"]), {"scope": "all", "course": "SAFE"})
    )
    assert [(r["Step"], r["Answered"], r["Right"]) for r in rows] == [("1", "4", "3"), ("2", "4", "1"), ("3", "3", "1")]
    bad = client.get(reverse("reports_team_retention_export", args=["csv"]), {"course": "NOPE"})
    assert bad.status_code == 302 and bad["Location"].startswith(reverse("reports_team_dashboard"))


def test_a_manager_exports_only_their_own_chain(client, org, boosters):
    client.force_login(org.kim)
    rows = csv_rows(client.get(reverse("reports_team_retention_export", args=["csv"]), {"scope": "all"}))
    assert [(r["Step"], r["Answered"], r["Right"]) for r in rows] == [("1", "1", "1"), ("2", "1", "0"), ("3", "1", "0")]


def test_who_may_export_what(client, org, boosters):
    client.force_login(org.p[0])  # a learner: the team pages do not exist for them
    assert client.get(reverse("reports_team_retention_export", args=["csv"])).status_code == 404
    client.force_login(org.lee)  # a manager: the organisation's figures are the admins'
    assert client.get(reverse("reports_organisation_retention_export", args=["csv"])).status_code == 403
    assert client.get(reverse("reports_team_retention_export", args=["doc"])).status_code == 404
    client.force_login(org.admin)
    rows = csv_rows(client.get(reverse("reports_organisation_retention_export", args=["csv"]), {"course": "SAFE"}))
    assert [(r["Step"], r["Answered"], r["Right"], r["Right %"]) for r in rows] == [
        ("1", "5", "3", "60.0"),
        ("2", "4", "1", "25.0"),
        ("3", "3", "1", "33.3"),
    ]
    for fmt in ("xlsx", "pdf"):
        assert client.get(reverse("reports_organisation_retention_export", args=[fmt])).status_code == 200


def test_the_organisation_report_shows_the_curve(client, org, boosters):
    client.force_login(org.admin)
    html = client.get(reverse("reports_organisation")).content.decode()
    assert 'data-testid="org-retention"' in html
    assert rows_of(html, "SAFE") == [("5", "3", "60%"), ("4", "1", "25%"), ("3", "1", "33.3%")]


def test_item_analysis_ranks_the_boosters_most_often_wrong(client, org, boosters):
    items = booster_items(course_code="SAFE")
    assert [(i.question_id, i.answered, i.wrong, i.wrong_percent, i.flagged) for i in items] == [
        (boosters.qb.pk, 5, 4, 80.0, True),
        (boosters.qa.pk, 8, 4, 50.0, True),
    ]
    client.force_login(org.admin)
    response = client.get(reverse("reports_item_analysis"), {"course": "SAFE"})
    html = response.content.decode()
    [source] = [i for i in response.context["items"] if i.question.pk == boosters.source.pk]
    assert (source.booster_answered, source.booster_wrong, source.booster_wrong_percent) == (8, 4, 50.0)
    assert re.findall(r'data-testid="booster-wrong-percent">(.*?)</td>', html) == ["80%", "50%"]
    assert "Most often wrong in boosters" in html
    rows = csv_rows(client.get(reverse("reports_item_analysis_export", args=["csv"]), {"course": "SAFE"}))
    [row] = [r for r in rows if r["Question"] == boosters.source.text]
    assert (row["Booster answers"], row["Wrong in boosters %"]) == ("8", "50.0")
    sheet = load_workbook(
        io.BytesIO(xlsx(client.get(reverse("reports_item_analysis_export", args=["xlsx"]), {"course": "SAFE"})))
    )["Wrong in boosters"]
    assert [c.value for c in next(sheet.iter_rows(min_row=2))][:4] == [boosters.qb.text, "no", 5, 4]
