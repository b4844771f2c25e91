"""Review sessions: a session's course is a real course, and an admin books people by hand
(issue 13 item 15)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from courses.tests.factories import AssignmentFactory, make_course
from escalation.models import EscalationEvent, Notification, ReviewBooking, ReviewSession
from escalation.reviews import review_book
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def _session(*, course_code: str = "", capacity: int = 10, starts_in: dt.timedelta = dt.timedelta(days=3)):
    starts_at = timezone.now() + starts_in
    return ReviewSession.objects.create(
        title="Data protection review",
        course_code=course_code,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        link="https://meet.example.org/review",
        capacity=capacity,
    )


def _session_post(**overrides) -> dict:
    data = {
        "title": "Review",
        "course_code": "",
        "format": "webinar",
        "starts_at": "2026-05-04T10:00",
        "ends_at": "2026-05-04T11:00",
        "link": "https://meet.example.org/review",
        "capacity": "5",
    }
    return data | overrides


def test_a_session_course_is_chosen_from_published_courses_and_an_unknown_code_is_refused(client):
    make_course(code="GDPR-101", title="Data protection", questions=1)
    make_course(code="DRAFT-1", title="Not yet", questions=1, status=Course.Status.DRAFT)
    client.force_login(AdminFactory())

    page = client.get(reverse("escalation:review_session_create"))
    choices = dict(page.context["form"].fields["course_code"].choices)
    assert choices == {"": "Any course", "GDPR-101": "GDPR-101 · Data protection"}
    assert '<select name="course_code"' in page.content.decode()

    response = client.post(reverse("escalation:review_session_create"), _session_post(course_code="NOPE-999"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["course_code"]
    assert "NOPE-999 is not one of the available choices" in response.context["form"].errors["course_code"][0]
    response = client.post(reverse("escalation:review_session_create"), _session_post(course_code="DRAFT-1"))
    assert list(response.context["form"].errors) == ["course_code"]
    assert not ReviewSession.objects.exists()

    client.post(reverse("escalation:review_session_create"), _session_post(course_code="GDPR-101"))
    assert ReviewSession.objects.get().course_code == "GDPR-101"


def test_an_admin_books_a_person_by_hand_and_they_get_one_invitation_with_a_calendar_file(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    course = make_course(code="GDPR-101", title="Data protection", questions=1)
    learner = UserFactory(first_name="Lee", last_name="Learner")
    assignment = AssignmentFactory(learner=learner, course=course, status="failed")
    session = _session(course_code="GDPR-101")
    admin = AdminFactory()
    client.force_login(admin)
    url = reverse("escalation:review_session_book", args=[session.pk])
    page = client.get(reverse("escalation:review_session", args=[session.pk]))
    assert f'action="{url}"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"learner": learner.pk}, follow=True)

    assert "Lee Learner is booked; an invitation is on its way" in response.content.decode()
    booking = ReviewBooking.objects.get()
    assert (booking.session, booking.assignment) == (session, assignment)
    event = EscalationEvent.objects.get(kind=EscalationEvent.Kind.REVIEW_BOOKED)
    assert event.assignment == assignment and event.actor_id == admin.pk
    invitation = Notification.objects.get(kind=Notification.Kind.REVIEW_BOOKED)
    assert invitation.recipient == learner and invitation.status == Notification.Status.SENT
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [learner.email]
    [(filename, ics, mimetype)] = mailoutbox[0].attachments
    assert filename == f"review-session-{session.pk}.ics" and mimetype == "text/calendar"
    # The summary in the attendee's language, tagged with it (RFC 5545 LANGUAGE).
    assert "SUMMARY;LANGUAGE=en-gb:Review session: Data protection review" in str(ics)

    # Booking the same person again: a message on the field, no second booking or invitation.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"learner": learner.pk})
    assert response.status_code == 200
    assert response.context["booking_form"].errors == {"learner": ["Lee Learner is already booked on this session."]}
    assert ReviewBooking.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.REVIEW_BOOKED).count() == 1
    assert len(mailoutbox) == 1


def test_a_full_session_refuses_a_booking_with_a_message_on_the_person_field(client):
    course = make_course(code="GDPR-101", questions=1)
    session = _session(course_code="GDPR-101", capacity=1)
    ReviewBooking.objects.create(session=session, assignment=AssignmentFactory(course=course))
    late = AssignmentFactory(course=course)
    client.force_login(AdminFactory())

    response = client.post(reverse("escalation:review_session_book", args=[session.pk]), {"learner": late.learner.pk})

    assert response.status_code == 200
    assert response.context["booking_form"].errors == {
        "learner": [
            "This session is full (1 of 1 places booked). Raise its capacity or book another session.",
        ]
    }
    assert "This session is full (1 place)." in response.content.decode()
    assert ReviewBooking.objects.count() == 1
    assert not Notification.objects.exists()


def test_a_person_without_a_current_assignment_of_the_course_cannot_be_booked(client):
    make_course(code="GDPR-101", questions=1)
    other = AssignmentFactory(course=make_course(code="FIRE-1", questions=1))
    archived = AssignmentFactory(
        course=Course.objects.get(code="GDPR-101"), archived_at=timezone.now(), archived_reason="other"
    )
    session = _session(course_code="GDPR-101")
    client.force_login(AdminFactory())
    url = reverse("escalation:review_session_book", args=[session.pk])

    for learner in (other.learner, archived.learner):
        response = client.post(url, {"learner": learner.pk})
        assert response.context["booking_form"].errors == {
            "learner": [
                f"{learner.get_full_name()} has no current assignment for GDPR-101: assign the course to them first."
            ]
        }
    assert client.post(url, {"learner": "not-a-person"}).context["booking_form"].errors["learner"]
    assert not ReviewBooking.objects.exists()


def test_an_any_course_session_asks_which_course_the_booking_is_for(client, mailoutbox):
    fire = make_course(code="FIRE-1", questions=1)
    gdpr = make_course(code="GDPR-101", questions=1)
    learner = UserFactory()
    AssignmentFactory(learner=learner, course=fire)
    gdpr_assignment = AssignmentFactory(learner=learner, course=gdpr)
    session = _session()
    client.force_login(AdminFactory())
    url = reverse("escalation:review_session_book", args=[session.pk])

    response = client.post(url, {"learner": learner.pk})
    assert response.context["booking_form"].errors == {"course_code": ["This field is required."]}
    response = client.post(url, {"learner": learner.pk, "course_code": "NOPE-999"})
    assert list(response.context["booking_form"].errors) == ["course_code"]

    client.post(url, {"learner": learner.pk, "course_code": "GDPR-101"})
    assert ReviewBooking.objects.get().assignment == gdpr_assignment


def test_a_session_that_has_started_takes_no_more_bookings(client):
    course = make_course(code="GDPR-101", questions=1)
    assignment = AssignmentFactory(course=course)
    session = _session(course_code="GDPR-101", starts_in=-dt.timedelta(minutes=10))
    client.force_login(AdminFactory())

    response = client.post(
        reverse("escalation:review_session_book", args=[session.pk]), {"learner": assignment.learner.pk}
    )

    assert response.context["booking_form"].errors == {
        "learner": ["This session has already started; nobody can be booked into it."]
    }
    assert not ReviewBooking.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_at_once_for_the_last_seat_cannot_both_succeed():
    course = make_course(code="GDPR-101", questions=1)
    session = _session(course_code="GDPR-101", capacity=1)
    assignments = [AssignmentFactory(course=course) for _ in range(2)]
    admin = AdminFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(assignment):
        try:
            barrier.wait()
            review_book(session=session, assignment=assignment, actor=admin)
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(error.message_dict["learner"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(a,)) for a in assignments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [
        "This session is full (1 of 1 places booked). Raise its capacity or book another session.",
        "booked",
    ]
    assert ReviewBooking.objects.filter(session=session).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.REVIEW_BOOKED).count() == 1


def test_a_booking_into_a_started_session_shows_the_reason_on_the_page(client):
    # fix_misc item 5: the form is not shown once the session has started, but the refusal is.
    course = make_course(code="GDPR-101", questions=1)
    session = _session(course_code="GDPR-101", starts_in=dt.timedelta(hours=-1))
    late = AssignmentFactory(course=course)
    client.force_login(AdminFactory())

    response = client.post(reverse("escalation:review_session_book", args=[session.pk]), {"learner": late.learner.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Nobody was booked:" in html
    assert "This session has already started; nobody can be booked into it." in html
    assert not ReviewBooking.objects.exists()
