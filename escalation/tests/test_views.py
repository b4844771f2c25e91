from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.models import EscalationPolicy, EscalationStep, ReviewBooking, ReviewSession
from escalation.tests.conftest import assign
from escalation.workflows.overdue import run_overdue_ladder
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db
ADMIN_URLS = [
    "escalation:policies",
    "escalation:policy_create",
    "escalation:preview",
    "escalation:review_sessions",
    "escalation:review_session_create",
]


@pytest.mark.parametrize("name", ADMIN_URLS)
def test_admin_pages_are_403_for_learners_and_managers_and_200_for_admins(client, team, name):
    _, lead, (learner, *_) = team
    for person in (learner, lead):
        client.force_login(person)
        assert client.get(reverse(name)).status_code == 403
    client.force_login(AdminFactory())
    assert client.get(reverse(name)).status_code == 200


def test_case_file_is_visible_to_admins_and_the_chain_only(client, team, course, policy):
    director, lead, (learner, other, _) = team
    assignment = assign(learner, course, due=dt.date(2026, 3, 1))
    run_overdue_ladder(as_of=dt.datetime(2026, 3, 20, 2, tzinfo=dt.UTC))
    url = reverse("escalation:case_file", args=[assignment.pk])
    for viewer, expected in ((director, 200), (lead, 200), (other, 404), (learner, 404), (UserFactory(), 404)):
        client.force_login(viewer)
        assert client.get(url).status_code == expected, viewer
    client.force_login(lead)
    assert "Escalated" in client.get(url).content.decode()
    pdf = client.get(reverse("escalation:case_file_pdf", args=[assignment.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_warning_letter_pdf_reaches_learner_and_manager_only(client, team, course, policy):
    _, lead, (learner, other, _) = team
    assignment = assign(learner, course, due=dt.date(2026, 3, 1))
    run_overdue_ladder(as_of=dt.datetime(2026, 3, 20, 2, tzinfo=dt.UTC))
    letter = assignment.warning_letters.get()
    url = reverse("escalation:warning_letter_pdf", args=[letter.reference])
    for viewer, expected in ((learner, 200), (lead, 200), (other, 404)):
        client.force_login(viewer)
        assert client.get(url).status_code == expected
    import subprocess

    client.force_login(learner)
    text = subprocess.run(["pdftotext", "-", "-"], input=client.get(url).content, capture_output=True).stdout.decode()
    assert learner.get_full_name() in text and course.title in text and "New deadline" in text


def test_policy_form_saves_policy_and_ladder_together_and_rejects_bad_days(client, course):
    client.force_login(AdminFactory())
    base = {
        "name": "Strict",
        "course_code": course.code,
        "reminder_days": "7, 2",
        "retake_deadline_days": 7,
        "attempts_after_review": 1,
        "clean_slate_due_days": 30,
        "steps-TOTAL_FORMS": 1,
        "steps-INITIAL_FORMS": 0,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
        "steps-0-days_overdue": 1,
        "steps-0-notify_managers_manager": "on",
        "steps-0-warning_letter": "on",
        "steps-0-new_deadline_days": 5,
    }
    bad = client.post(reverse("escalation:policy_create"), {**base, "reminder_days": "7, soon"})
    assert bad.status_code == 200 and "soon" in str(bad.context["form"].errors["reminder_days"])
    assert not EscalationPolicy.objects.filter(course_code=course.code).exists()
    # Day 1 is the first day overdue: a step at day 0 would fire on the deadline day, which is not late.
    day_zero = client.post(reverse("escalation:policy_create"), {**base, "steps-0-days_overdue": 0})
    assert day_zero.status_code == 200
    assert "Day 1 is the first day overdue" in str(day_zero.context["steps"].forms[0].errors["days_overdue"])
    assert not EscalationPolicy.objects.filter(course_code=course.code).exists()

    ok = client.post(reverse("escalation:policy_create"), base)
    assert ok.status_code == 302
    policy = EscalationPolicy.objects.get(course_code=course.code)
    assert policy.reminder_days == [7, 2]
    assert list(EscalationStep.objects.filter(policy=policy).values_list("days_overdue", "warning_letter")) == [
        (1, True)
    ]


def test_preview_lists_what_tonight_would_send_and_sends_nothing(client, team, course, policy, mailoutbox):
    _, lead, (learner, *_) = team
    assign(learner, course, due=timezone.localdate() - dt.timedelta(days=3))
    client.force_login(AdminFactory())
    response = client.get(reverse("escalation:preview"))
    content = response.content.decode()
    assert learner.get_full_name() in content and lead.get_full_name() in content
    assert mailoutbox == []
    from escalation.models import Notification

    assert Notification.objects.count() == 0


def test_attendance_is_recorded_once_from_the_session_page(client, team, course, policy):
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=dt.date(2026, 3, 1), status="failed")
    session = ReviewSession.objects.create(
        title="Review",
        starts_at=timezone.now(),
        ends_at=timezone.now() + dt.timedelta(hours=1),
        link="https://x.example.org",
    )
    booking = ReviewBooking.objects.create(session=session, assignment=assignment)
    client.force_login(AdminFactory())
    url = reverse("escalation:review_attendance", args=[session.pk, booking.pk])
    assert client.get(url).status_code == 405
    client.post(url, {"attended": "yes"})
    assignment.refresh_from_db()
    assert assignment.status == "in_progress" and assignment.extra_attempts == 1
    response = client.post(url, {"attended": "no"}, follow=True)
    assert "already recorded" in response.content.decode()
    booking.refresh_from_db()
    assert booking.attended is True


def test_notifications_page_lists_only_your_own(client, team, course, policy):
    _, lead, (learner, other, _) = team
    assign(learner, course, due=dt.date(2026, 3, 1))
    run_overdue_ladder(as_of=dt.datetime(2026, 3, 5, 2, tzinfo=dt.UTC))
    client.force_login(other)
    assert list(client.get(reverse("escalation:notifications")).context["page"]) == []
    client.force_login(lead)
    page = client.get(reverse("escalation:notifications")).context["page"]
    assert [n.kind for n in page] == ["escalation"]


def test_a_review_session_with_capacity_0_gets_a_message_on_the_capacity_field(client):
    client.force_login(AdminFactory())
    response = client.post(
        reverse("escalation:review_session_create"),
        {
            "title": "Review",
            "format": "webinar",
            "starts_at": "2026-05-04T10:00",
            "ends_at": "2026-05-04T11:00",
            "link": "https://meet.example.org/review",
            "capacity": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"capacity": ["A session needs room for at least one person."]}
    content = response.content.decode()
    assert "review_session_capacity_positive" not in content and "is violated" not in content
    assert not ReviewSession.objects.exists()
