"""CPD numbers against a hand-computed fixture (issue 17: "CPD numbers are checked against a
hand-computed fixture").

CPD years are calendar years (``CPD_YEAR_START_MONTH = 1``); today is 15 June 2026.

Courses (points are copied onto each completion; hours are the modules' estimated minutes):

====================  ======  =====================  =====
course                points  modules                hours
====================  ======  =====================  =====
Infection control     2.50    2 x 15 min             0.50
Manual handling       1.25    3 x 20 min             1.00
Fire safety           0.00    1 x 30 min             0.50
====================  ======  =====================  =====

Targets: Nurse 10.00 points a year, Team leader 5.00. Porters have none.

Nia (Nurse, Wards, London, manager Morgan):
  - Infection control at 2025-12-31 23:30 UTC (London: 31 Dec 2025)   -> 2025: 2.50 pts, 0.50 h
  - Manual handling at 2026-03-01 10:00 UTC                           -> 2026: 1.25 pts, 1.00 h
  - Fire safety at 2026-05-01 09:00 UTC                               -> 2026: 0.00 pts, 0.50 h
  - external "Wound care conference" 10 Feb 2026, 6 h, 4.00 pts, APPROVED -> 2026
  - external "Tissue viability course" 1 Nov 2025, 2 h, 3.00 pts, APPROVED -> 2025
  - external "Journal club" 1 Apr 2026, 1.00 pts, RETURNED              -> not counted
  - external "Webinar" 20 May 2026, 1.5 h, PENDING                       -> not counted
  2026: points 1.25 + 0.00 + 4.00 = 5.25; hours 1.00 + 0.50 + 6.00 = 7.50; gap 10 - 5.25 = 4.75
  2025: points 2.50 + 3.00 = 5.50; hours 0.50 + 2.00 = 2.50; gap 4.50

Omar (Nurse, Wards, New York, manager Morgan):
  - Infection control at 2026-01-01 03:00 UTC (New York: 31 Dec 2025 22:00) -> 2025: 2.50
  - Manual handling at 2026-06-01 12:00 UTC                                -> 2026: 1.25
  - external "Prescribing update" 15 Jan 2026, 9.00 pts, APPROVED           -> 2026: 9.00
  2026: 1.25 + 9.00 = 10.25, not behind.   2025: 2.50, gap 7.50

Pia (Nurse, Theatres, Tokyo, no manager):
  - Infection control at 2025-12-31 16:00 UTC (Tokyo: 1 Jan 2026 01:00) -> 2026: 2.50
  2026: 2.50, gap 7.50.   2025: 0.00, gap 10.00

Morgan (Team leader, Wards): nothing.  Each year: 0.00, gap 5.00.
Quinn (Porter): no target, never listed.  Lee (Nurse, left): not active, never listed.

Behind in 2026 (furthest first): Pia 7.50, Morgan 5.00, Nia 4.75.  Wards only: Morgan, Nia.
Behind in 2025: Pia 10.00, Omar 7.50, Morgan 5.00, Nia 4.50.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from assignments.cpd import selectors, services
from assignments.cpd.models import CpdTarget
from assignments.cpd.years import CpdYear, year_of
from courses.tests.factories import CompletionFactory, make_course
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
D = Decimal


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def _course(title: str, points: str, minutes: list[int]):
    course = make_course(questions=1, modules=len(minutes), title=title, cpd_points=D(points))
    for module, value in zip(course.modules.order_by("order"), minutes, strict=True):
        module.estimated_minutes = value
        module.save()
    return course


def _done(learner, course, when):
    return CompletionFactory(learner=learner, course=course, completed_at=when, cpd_points=course.cpd_points)


def _external(learner, decider, *, title, day, hours=None, points=None, outcome="approved"):
    entry = services.external_learning_submit(
        learner=learner,
        title=title,
        provider="Royal College",
        completed_on=day,
        hours=D(hours) if hours else None,
        points=D(points) if points else None,
    )
    if outcome == "approved":
        services.external_learning_approve(entry=entry, actor=decider, submission=1)
    elif outcome == "returned":
        services.external_learning_return(entry=entry, actor=decider, submission=1, comment="Add the certificate.")
    return entry


@pytest.fixture
def org(settings):
    settings.CPD_YEAR_START_MONTH = 1
    wards = DepartmentFactory(name="Wards")
    theatres = DepartmentFactory(name="Theatres")
    admin = AdminFactory(first_name="Ada", last_name="Admin")
    morgan = UserFactory(first_name="Morgan", last_name="Lead", job_title="Team leader", department=wards)
    nia = UserFactory(first_name="Nia", last_name="Nurse", job_title="Nurse", department=wards, manager=morgan)
    omar = UserFactory(
        first_name="Omar",
        last_name="Nurse",
        job_title="nurse ",
        department=wards,
        manager=morgan,
        timezone="America/New_York",
    )
    pia = UserFactory(
        first_name="Pia", last_name="Nurse", job_title="Nurse", department=theatres, timezone="Asia/Tokyo"
    )
    quinn = UserFactory(first_name="Quinn", last_name="Porter", job_title="Porter", department=wards)
    lee = UserFactory(first_name="Lee", last_name="Left", job_title="Nurse", department=wards, is_active=False)
    CpdTarget.objects.create(job_title="Nurse", points=D("10"))
    CpdTarget.objects.create(job_title="Team leader", points=D("5"))
    infection = _course("Infection control", "2.50", [15, 15])
    handling = _course("Manual handling", "1.25", [20, 20, 20])
    fire = _course("Fire safety", "0.00", [30])
    with time_machine.travel(TODAY, tick=False):
        _done(nia, infection, utc(2025, 12, 31, 23, 30))
        _done(nia, handling, utc(2026, 3, 1, 10))
        _done(nia, fire, utc(2026, 5, 1, 9))
        _external(nia, morgan, title="Wound care conference", day=dt.date(2026, 2, 10), hours="6", points="4")
        _external(nia, morgan, title="Tissue viability course", day=dt.date(2025, 11, 1), hours="2", points="3")
        _external(nia, morgan, title="Journal club", day=dt.date(2026, 4, 1), points="1", outcome="returned")
        _external(nia, morgan, title="Webinar", day=dt.date(2026, 5, 20), hours="1.5", outcome="pending")
        _done(omar, infection, utc(2026, 1, 1, 3))
        _done(omar, handling, utc(2026, 6, 1, 12))
        _external(omar, morgan, title="Prescribing update", day=dt.date(2026, 1, 15), points="9")
        _done(pia, infection, utc(2025, 12, 31, 16))
        _done(quinn, fire, utc(2026, 2, 1, 9))
        _done(lee, handling, utc(2026, 2, 1, 9))
    return {
        "admin": admin,
        "morgan": morgan,
        "nia": nia,
        "omar": omar,
        "pia": pia,
        "quinn": quinn,
        "wards": wards,
    }


def _names(rows) -> list[tuple[str, str, str, str]]:
    return [(r.person.first_name, f"{r.points:.2f}", f"{r.target:.2f}", f"{r.gap:.2f}") for r in rows]


def test_the_record_of_each_year_adds_completions_and_approved_external_learning(org):
    nia = org["nia"]
    record = selectors.cpd_record(person=nia, year=CpdYear(2026), today=TODAY.date())
    assert [(i.title, f"{i.points:.2f}", f"{i.hours:.2f}") for i in record.items] == [
        ("Wound care conference", "4.00", "6.00"),
        ("Manual handling", "1.25", "1.00"),
        ("Fire safety", "0.00", "0.50"),
    ]
    assert (record.points, record.hours, record.gap) == (D("5.25"), D("7.50"), D("4.75"))
    assert (record.course_points, record.external_points) == (D("1.25"), D("4.00"))
    assert [e.title for e in record.open_entries] == ["Journal club", "Webinar"]
    assert [y.year for y in record.years] == [2026, 2025]

    last = selectors.cpd_record(person=nia, year=CpdYear(2025), today=TODAY.date())
    assert [i.title for i in last.items] == ["Tissue viability course", "Infection control"]
    assert (last.points, last.hours, last.gap) == (D("5.50"), D("2.50"), D("4.50"))


def test_a_completion_counts_in_the_year_of_its_date_in_the_learners_time_zone(org):
    omar, pia = org["omar"], org["pia"]
    assert selectors.cpd_record(person=omar, year=CpdYear(2026)).points == D("10.25")
    assert selectors.cpd_record(person=omar, year=CpdYear(2025)).points == D("2.50")
    assert selectors.cpd_record(person=pia, year=CpdYear(2026)).points == D("2.50")
    assert selectors.cpd_record(person=pia, year=CpdYear(2025)).points == D("0.00")


def test_who_is_behind_in_each_year_and_department(org, django_assert_num_queries):
    with django_assert_num_queries(2):  # the time zones in use, then the list with its totals
        rows = selectors.people_behind(year=CpdYear(2026))
    assert _names(rows) == [
        ("Pia", "2.50", "10.00", "7.50"),
        ("Morgan", "0.00", "5.00", "5.00"),
        ("Nia", "5.25", "10.00", "4.75"),
    ]
    assert _names(selectors.people_behind(year=CpdYear(2026), department=org["wards"])) == [
        ("Morgan", "0.00", "5.00", "5.00"),
        ("Nia", "5.25", "10.00", "4.75"),
    ]
    assert _names(selectors.people_behind(year=CpdYear(2025))) == [
        ("Pia", "0.00", "10.00", "10.00"),
        ("Omar", "2.50", "10.00", "7.50"),
        ("Morgan", "0.00", "5.00", "5.00"),
        ("Nia", "5.50", "10.00", "4.50"),
    ]


def test_the_behind_list_is_one_query_whatever_its_size(org, django_assert_num_queries):
    for index in range(12):
        UserFactory(job_title="Nurse", department=org["wards"], timezone=["Europe/Paris", "UTC"][index % 2])
    with django_assert_num_queries(2):
        rows = selectors.people_behind(year=CpdYear(2026))
    assert len(rows) == 15


def test_the_behind_page_and_its_csv_show_the_hand_computed_figures(org, client):
    client.force_login(org["admin"])
    with time_machine.travel(TODAY, tick=False):
        page = client.get(reverse("reports_cpd_behind"), {"department": org["wards"].pk})
        export = client.get(reverse("reports_cpd_behind_export"), {"year": "2025"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "2 people are behind." in body
    assert body.index("Morgan Lead") < body.index("Nia Nurse") and "Pia Nurse" not in body
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-4:] == ["CPD year", "CPD points", "Target", "Gap"]
    assert [(r[1], r[-3], r[-1]) for r in rows[1:]] == [
        ("Pia", "0.00", "10.00"),
        ("Omar", "2.50", "7.50"),
        ("Morgan", "0.00", "5.00"),
        ("Nia", "5.50", "4.50"),
    ]


def test_the_home_page_shows_this_years_points_and_target(org, client):
    client.force_login(org["nia"])
    with time_machine.travel(TODAY, tick=False):
        body = client.get(reverse("home")).content.decode()
    assert "CPD points in 2026: 5.25." in body
    assert "Your target is 10.00: 4.75 to go." in body


def test_a_cpd_year_starting_in_april_is_named_by_its_first_year(org, settings):
    settings.CPD_YEAR_START_MONTH = 4
    assert year_of(dt.date(2026, 3, 31)).label == "2025/26"
    assert year_of(dt.date(2026, 4, 1)).label == "2026/27"
    # 1 Apr 2025 - 31 Mar 2026: Infection control (31 Dec 2025), Manual handling (1 Mar 2026),
    # the Nov 2025 and Feb 2026 approved entries: 2.50 + 1.25 + 3.00 + 4.00 = 10.75.
    record = selectors.cpd_record(person=org["nia"], year=CpdYear(2025))
    assert record.points == D("10.75") and record.gap == D("0")


def test_the_person_tab_shows_the_record_to_the_manager_and_404s_to_another_team(org, client):
    client.force_login(org["morgan"])
    with time_machine.travel(TODAY, tick=False):
        response = client.get(reverse("person_detail", args=[org["nia"].pk]), {"tab": "cpd", "year": "2025"})
    assert response.status_code == 200
    assert 'data-testid="cpd-points">5.50<' in response.content.decode()
    client.force_login(org["quinn"])
    assert client.get(reverse("person_detail", args=[org["nia"].pk]), {"tab": "cpd"}).status_code == 404


def test_a_second_target_for_the_same_job_title_in_other_capitals_is_refused_by_name(org, client):
    # moodle-an-hochschulen/moodle-theme_boost_union#1363: a lookup by a column that was not unique
    # found two rows. Here a job title has one target whatever its capitals or spaces.
    client.force_login(org["admin"])
    response = client.post(reverse("cpd:targets"), {"job_title": "  NURSE ", "points": "3"})
    assert response.status_code == 200
    assert "This job title already has a target." in str(response.context["form"].errors)
    assert CpdTarget.objects.filter(job_title__iexact="nurse").count() == 1
    assert selectors.target_for(" nurse").points == D("10")
