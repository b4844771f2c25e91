"""Attendance at a review session is recorded only once the session has started (eyes 13, C1):
recorded ahead of time it re-opened a failed assignment without the review."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment
from escalation.models import EscalationEvent, ReviewBooking, ReviewSession
from escalation.reviews import review_attendance_record
from escalation.tests.conftest import assign
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _booking(learner, course, *, starts_in: dt.timedelta) -> ReviewBooking:
    starts_at = timezone.now() + starts_in
    session = ReviewSession.objects.create(
        title="ABC refresher",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        link="https://meet.example.com/abc",
    )
    assignment = assign(learner, course, due=timezone.localdate() - dt.timedelta(days=5), status="failed")
    return ReviewBooking.objects.create(session=session, assignment=assignment)


@pytest.mark.parametrize("attended", [True, False])
def test_attendance_is_refused_before_the_session_starts(team, course, policy, attended):
    _, _, (learner, *_) = team
    booking = _booking(learner, course, starts_in=dt.timedelta(days=11))

    with pytest.raises(ValidationError, match="has not started yet"):
        review_attendance_record(booking=booking, attended=attended, actor=AdminFactory())

    booking.refresh_from_db()
    assert booking.attended is None and booking.attendance_recorded_at is None
    assignment = Assignment.objects.get(pk=booking.assignment_id)
    assert assignment.status == Assignment.Status.FAILED and assignment.extra_attempts == 0
    assert not EscalationEvent.objects.filter(assignment=assignment, kind="review_attended").exists()


def test_attendance_is_recorded_once_the_session_has_started(team, course, policy):
    _, _, (learner, *_) = team
    booking = _booking(learner, course, starts_in=dt.timedelta(days=11))

    with time_machine.travel(booking.session.starts_at + dt.timedelta(minutes=5), tick=False):
        review_attendance_record(booking=booking, attended=True, actor=AdminFactory())

    booking.refresh_from_db()
    assert booking.attended is True
    assignment = Assignment.objects.get(pk=booking.assignment_id)
    assert assignment.status == Assignment.Status.IN_PROGRESS and assignment.extra_attempts == 1


def test_the_session_page_offers_no_attendance_buttons_before_the_start_and_refuses_a_post(
    client, team, course, policy
):
    _, _, (learner, *_) = team
    booking = _booking(learner, course, starts_in=dt.timedelta(days=11))
    client.force_login(AdminFactory())
    page = client.get(reverse("escalation:review_session", args=[booking.session_id])).content.decode()
    attendance_url = reverse("escalation:review_attendance", args=[booking.session_id, booking.pk])
    assert attendance_url not in page and "Did not attend" not in page
    assert "attendance is recorded once the session starts" in page

    response = client.post(attendance_url, {"attended": "yes"}, follow=True)

    content = response.content.decode()
    assert "has not started yet" in content and "Attendance recorded." not in content
    booking.refresh_from_db()
    assert booking.attended is None
    assert Assignment.objects.get(pk=booking.assignment_id).extra_attempts == 0

    with time_machine.travel(booking.session.starts_at + dt.timedelta(minutes=1), tick=False):
        client.force_login(AdminFactory())
        page = client.get(reverse("escalation:review_session", args=[booking.session_id])).content.decode()
        assert attendance_url in page and "Did not attend" in page
        response = client.post(attendance_url, {"attended": "yes"}, follow=True)
    assert "Attendance recorded." in response.content.decode()


@pytest.mark.parametrize(
    "capacity,says", [(1, "This session is full (1 place)."), (2, "This session is full (2 places).")]
)
def test_a_full_session_counts_its_places_in_words(client, team, course, policy, capacity, says):
    """Eyes 13 C5: "This session is full (1 places)"."""
    starts_at = timezone.now() + dt.timedelta(days=3)
    session = ReviewSession.objects.create(
        title="Review", starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1), capacity=capacity
    )
    for learner in team[2][:capacity]:
        ReviewBooking.objects.create(session=session, assignment=assign(learner, course, due=dt.date(2026, 3, 1)))
    client.force_login(AdminFactory())

    content = client.get(reverse("escalation:review_session", args=[session.pk])).content.decode()

    assert says in content and "1 places" not in content
