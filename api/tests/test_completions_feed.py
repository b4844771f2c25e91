"""The completions feed: a nightly pull gets every completion exactly once, in the order they
were recorded, while new ones are being written between its pages (api/feed.py)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction

from assignments.models import Completion
from courses.tests.factories import CompletionFactory, CourseFactory
from lms.tests.factories import UserFactory

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


def _pull(api, cursor: str | None, page_size: int = 2) -> dict:
    params = {"page_size": page_size, **({"cursor": cursor} if cursor else {})}
    response = api.get("/api/v1/completions/", params)
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_every_completion_comes_exactly_once_while_new_ones_are_written_between_pages(api):
    course = CourseFactory(code="FIRE-1")
    people = [UserFactory() for _ in range(4)]
    delivered: list[int] = []
    with time_machine.travel(T0, tick=False):
        # Five recorded in the same instant: the id breaks the tie.
        for person in people + [people[0]]:
            CompletionFactory(learner=person, course=course)

    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        first = _pull(api, None)
        delivered += [row["id"] for row in first["results"]]
        # Written between pages: one earned now, one imported history completed a year ago (a
        # cursor on completed_at would pass it by).
        CompletionFactory(learner=people[1], course=course)
        CompletionFactory(learner=people[2], course=course, completed_at=T0 - dt.timedelta(days=365), source="imported")
        second = _pull(api, first["next_cursor"])
        delivered += [row["id"] for row in second["results"]]
        third = _pull(api, second["next_cursor"])
        delivered += [row["id"] for row in third["results"]]

    assert (first["has_more"], second["has_more"], third["has_more"]) == (True, True, False)
    # The two written a moment ago have not settled yet: the night's pull stops before them.
    assert len(delivered) == 5

    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        CompletionFactory(learner=people[3], course=course)
        fourth = _pull(api, third["next_cursor"])
        delivered += [row["id"] for row in fourth["results"]]
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        cursor = fourth["next_cursor"]
        while True:
            page = _pull(api, cursor)
            delivered += [row["id"] for row in page["results"]]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        empty = _pull(api, cursor)

    assert sorted(delivered) == sorted(Completion.objects.values_list("pk", flat=True))
    assert len(delivered) == len(set(delivered)) == 8
    assert empty["results"] == [] and empty["has_more"] is False
    assert empty["next_cursor"] == cursor  # nothing new: the same place to start from tomorrow


@pytest.mark.django_db
def test_a_completion_row_carries_what_a_bi_tool_loads(api):
    learner = UserFactory(employee_id="E-7", timezone="America/New_York")
    course = CourseFactory(code="FIRE-1", title="Fire safety")
    with time_machine.travel(T0, tick=False):
        completion = CompletionFactory(learner=learner, course=course, completed_at=T0, score=79.59)

    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        row = _pull(api, None)["results"][0]

    assert row["id"] == completion.pk
    assert (row["learner_email"], row["employee_id"], row["course_title"]) == (learner.email, "E-7", "Fire safety")
    assert row["score"] == "79.59"
    assert row["completed_on"] == "2026-02-28"  # 02:00 UTC is the evening before in New York
    assert row["certificate_number"] == completion.certificate_number


@pytest.mark.django_db
def test_a_cursor_that_was_not_given_out_is_refused(api):
    response = api.get("/api/v1/completions/", {"cursor": "eyJ0IjpudWxsLCJpIjo1fQ:forged"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/cursor"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_completion_still_being_written_is_neither_delivered_nor_passed_by(api, settings):
    """On PostgreSQL: a completion recorded in a transaction that has not committed yet holds the
    feed back, so that a completion committed after it is not delivered first (which would move
    the cursor past the slow one and lose it)."""
    settings.API_COMPLETIONS_SETTLE_SECONDS = 0
    course = CourseFactory(code="FIRE-1")
    slow_learner, quick_learner = UserFactory(), UserFactory()
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_import():
        try:
            with transaction.atomic():
                CompletionFactory(learner=slow_learner, course=course)
                inserted.set()
                release.wait(30)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_import)
    thread.start()
    assert inserted.wait(30)
    quick = CompletionFactory(learner=quick_learner, course=course)

    while_open = _pull(api, None, page_size=10)
    release.set()
    assert done.wait(30)
    thread.join()
    after = _pull(api, while_open["next_cursor"], page_size=10)

    assert while_open["results"] == []
    delivered = [row["id"] for row in after["results"]]
    assert delivered == sorted(Completion.objects.values_list("pk", flat=True)) and quick.pk in delivered
