"""The admins' booster authoring page: questions picked from the quiz or written, the schedule,
activation, refusals that name the field and change nothing, and the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.boosters.models import BoosterProgramme, BoosterQuestion
from courses.models import Question
from courses.tests.factories import make_course
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_an_admin_builds_a_programme_from_the_quiz_and_a_written_question_then_activates_it(admin_client):
    course = make_course(questions=2, title="Fire safety")
    page = reverse("boosters:manage", args=[course.pk])
    assert admin_client.get(reverse("boosters:manage_list")).status_code == 200

    # Activating before any question is refused, naming why; nothing is switched on.
    response = admin_client.post(
        page, {"action": "settings", "schedule": "2, 7, 21, 60", "retention_threshold": 60, "is_active": "on"}
    )
    assert response.status_code == 400
    assert "Add at least one question before activating the programme." in response.content.decode()
    assert not BoosterProgramme.objects.filter(is_active=True).exists()

    source = Question.objects.filter(quiz__course=course).first()
    assert admin_client.post(page, {"action": "copy", "source_question": source.pk}).status_code == 302
    copied = BoosterQuestion.objects.get()
    assert (copied.text, copied.source_question_id) == (source.text, source.pk)
    assert copied.choices.count() == source.choices.count()
    assert copied.choices.get(is_correct=True).text == source.choices.get(is_correct=True).text

    new = reverse("boosters:question_new", args=[course.pk])
    data = {
        "text": "Where is the assembly point?",
        "feedback": "It is on the map by every exit.",
        "good_application": "You walk there without stopping for your things.",
        "resource_title": "Site map",
        "resource_url": "https://intranet.example.com/map",
        "choice_1": "The car park",
        "choice_2": "The canteen",
        "correct": "1",
    }
    # The right answer must be one that is written.
    refused = admin_client.post(new, {**data, "correct": "3"})
    assert refused.status_code == 200 and "The right answer must be one you have written." in refused.content.decode()
    assert BoosterQuestion.objects.count() == 1
    assert admin_client.post(new, data).status_code == 302
    written = BoosterQuestion.objects.get(source_question=None)
    assert written.good_application.startswith("You walk there")

    # A bad schedule names what is wrong and changes nothing.
    for schedule, message in (("7, 2", "The days must increase"), ("2, x", "“x” is not a whole number of days.")):
        response = admin_client.post(page, {"action": "settings", "schedule": schedule, "retention_threshold": 60})
        assert response.status_code == 400 and message in response.content.decode()
    assert BoosterProgramme.objects.get().schedule_days == [2, 7, 21, 60]

    response = admin_client.post(
        page, {"action": "settings", "schedule": "3, 10, 30", "retention_threshold": 75, "is_active": "on"}
    )
    assert response.status_code == 302
    programme = BoosterProgramme.objects.get()
    assert (programme.is_active, programme.schedule_days, programme.retention_threshold) == (True, [3, 10, 30], 75)

    admin_client.post(reverse("boosters:question_retire", args=[copied.pk]))
    copied.refresh_from_db()
    assert copied.is_active is False

    trail = list(
        AuditEntry.objects.filter(object_type__startswith="boosters.")
        .order_by("pk")
        .values_list("object_type", "action")
    )
    assert trail == [
        ("boosters.boosterprogramme", "create"),
        ("boosters.boosterquestion", "create"),
        ("boosters.boosterquestion", "create"),
        ("boosters.boosterprogramme", "change"),
        ("boosters.boosterquestion", "change"),
    ]
    change = AuditEntry.objects.filter(object_type="boosters.boosterprogramme", action="change").get()
    assert change.changes["schedule_days"] == [[2, 7, 21, 60], [3, 10, 30]]


def test_a_question_of_another_course_cannot_be_copied(admin_client):
    course = make_course(questions=1)
    other = make_course(questions=1)
    foreign = Question.objects.filter(quiz__course=other).first()
    response = admin_client.post(
        reverse("boosters:manage", args=[course.pk]), {"action": "copy", "source_question": foreign.pk}
    )
    assert response.status_code == 400
    assert "Pick a question of this course&#x27;s quiz." in response.content.decode()
    assert not BoosterQuestion.objects.exists()


def test_two_answers_that_say_the_same_thing_are_refused(admin_client):
    """Outside eyes: two identical answers, one marked right, were saved; no learner could tell them apart."""
    course = make_course(questions=1)
    response = admin_client.post(
        reverse("boosters:question_new", args=[course.pk]),
        {"text": "Found USB stick?", "choice_1": "Plug it in  to find the owner", "choice_2": "plug it in to find the owner",
         "choice_3": "Hand it to IT security", "correct": "2"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Two answers say the same thing (“plug it in to find the owner”)" in response.content.decode()
    assert not BoosterQuestion.objects.exists()
    assert not BoosterProgramme.objects.exists()  # nor the programme the first question would have made


def test_the_audit_trail_lists_a_questions_answers_as_text(admin_client):
    course = make_course(questions=1)
    admin_client.post(
        reverse("boosters:question_new", args=[course.pk]),
        {"text": "Found USB stick?", "choice_1": "Plug it in", "choice_2": "Hand it to IT security", "correct": "2"},
    )
    entry = AuditEntry.objects.get(object_type="boosters.boosterquestion")
    assert entry.changes["choices"] == [None, "1. Plug it in; 2. Hand it to IT security"]


def test_a_long_unbroken_question_wraps_and_retiring_asks_first(admin_client):
    """Outside eyes: a 5,000-character word made the page 21,215 px wide; Retire asked nothing."""
    course = make_course(questions=1)
    admin_client.post(
        reverse("boosters:question_new", args=[course.pk]),
        {"text": "x" * 1900, "choice_1": "Yes", "choice_2": "No", "correct": "1"},
    )
    page = admin_client.get(reverse("boosters:manage", args=[course.pk])).content.decode()
    assert 'data-testid="booster-questions"' in page and "list-group-numbered mb-3 user-text" in page
    assert 'data-confirm="Retire this question?' in page
