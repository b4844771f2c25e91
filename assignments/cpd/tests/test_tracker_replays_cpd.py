"""Other projects' bugs in CPD-like hour and point totals (issue 17), replayed on ours and kept.

- cgwire/kitsu#602 ("timesheet day/week calculations don't match at year end"): a user in NZDT had
  the hours of the days around New Year counted in periods cut at GMT, so the day view and the
  week view disagreed. Ours, with CPD years starting in April: a completion at 12:30 UTC on
  31 March is 1 April in Auckland and 31 March in London, and the record, the home page's summary
  and the "behind" list all put it in the same year for each person.
- almarklein/timetagger#408 ("use rounded numbers for totals and subtotals"): a report showed
  rounded items whose sum was not the total printed under them. Ours: the record's hours are the
  sum of the hours shown on its lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assignments.cpd import selectors
from assignments.cpd.models import CpdTarget
from assignments.cpd.years import CpdYear
from courses.tests.factories import CompletionFactory, make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _course(title: str, points: str, minutes: list[int]):
    course = make_course(questions=1, modules=len(minutes), title=title, cpd_points=D(points))
    for module, value in zip(course.modules.order_by("order"), minutes, strict=True):
        module.estimated_minutes = value
        module.save()
    return course


def _done(learner, course, when: dt.datetime):
    return CompletionFactory(learner=learner, course=course, completed_at=when, cpd_points=course.cpd_points)


def test_kitsu_602_the_same_instant_falls_in_each_persons_own_cpd_year_on_every_page(settings):
    settings.CPD_YEAR_START_MONTH = 4
    CpdTarget.objects.create(job_title="Nurse", points=D("3"))
    aroha = UserFactory(first_name="Aroha", job_title="Nurse", timezone="Pacific/Auckland")
    leo = UserFactory(first_name="Leo", job_title="Nurse", timezone="Europe/London")
    course = _course("Infection control", "2.50", [30])
    moment = dt.datetime(2026, 3, 31, 12, 30, tzinfo=dt.UTC)  # Auckland 1 Apr 01:30 (NZDT); London 31 Mar 13:30
    _done(aroha, course, moment)
    _done(leo, course, moment)
    new_year, old_year = CpdYear(2026), CpdYear(2025)

    # The record (My CPD, the person tab, the transcript).
    aroha_new = selectors.cpd_record(person=aroha, year=new_year, today=dt.date(2026, 4, 2))
    assert [(i.day, i.points) for i in aroha_new.items] == [(dt.date(2026, 4, 1), D("2.50"))]
    assert selectors.cpd_record(person=aroha, year=old_year).points == D("0")
    leo_old = selectors.cpd_record(person=leo, year=old_year, today=dt.date(2026, 4, 2))
    assert [(i.day, i.points) for i in leo_old.items] == [(dt.date(2026, 3, 31), D("2.50"))]
    assert selectors.cpd_record(person=leo, year=new_year).points == D("0")

    # The home page's summary agrees with the record.
    assert selectors.year_summary(person=aroha, year=new_year)["points"] == D("2.50")
    assert selectors.year_summary(person=aroha, year=old_year)["points"] == D("0")
    assert selectors.year_summary(person=leo, year=old_year)["points"] == D("2.50")
    assert selectors.year_summary(person=leo, year=new_year)["points"] == D("0")

    # The "behind" list (one query over both zones) agrees too.
    def behind(year):
        return [(r.person.first_name, r.points, r.gap) for r in selectors.people_behind(year=year)]

    assert behind(new_year) == [("Leo", D("0.00"), D("3.00")), ("Aroha", D("2.50"), D("0.50"))]
    assert behind(old_year) == [("Aroha", D("0.00"), D("3.00")), ("Leo", D("2.50"), D("0.50"))]


def test_timetagger_408_the_total_hours_are_the_sum_of_the_hours_on_the_lines():
    """Three completions of a 20-minute course each show 0.33 h: the record's total is 0.99, the sum
    of its lines, as on the transcript (not 1.00, which no one adding the lines would get)."""
    nia = UserFactory(first_name="Nia", job_title="Nurse")
    short = _course("Hand hygiene refresher", "0.50", [20])
    for month in (5, 6, 7):
        _done(nia, short, dt.datetime(2026, month, 1, 9, tzinfo=dt.UTC))

    record = selectors.cpd_record(person=nia, year=CpdYear(2026), today=dt.date(2026, 8, 1))

    assert [i.hours for i in record.items] == [D("0.33")] * 3
    assert record.hours == sum((i.hours for i in record.items), D("0")) == D("0.99")
    assert record.points == D("1.50")
