"""Course texts in the reader's language in the messages about a course (issue 16): a failure
notice lists what was missed in the language the learner took the attempt in, and in the
manager's language when the course has it complete; a booster question is sent and shown in the
learner's language when it and all its answers are translated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.boosters.tests.factories import complete, make_programme
from assignments.services.attempts import attempt_start, attempt_submit
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from courses.translations.tests.factories import translate_all
from escalation.models import Notification
from escalation.workflows.boosters import run_boosters
from escalation.workflows.failures import attempt_failure_messages
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def failed_attempt(course, learner, language):
    assignment = AssignmentFactory(course=course, learner=learner)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz, language=language)
    attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong={entry["q"] for entry in attempt.layout}))
    return attempt


@pytest.mark.parametrize(("manager_locale", "manager_prefix"), [("fr", "FR "), ("de", ""), ("en", "")])
def test_the_failure_notice_lists_the_course_texts_in_each_readers_language(manager_locale, manager_prefix):
    course = make_course(questions=2, modules=1, description="What it covers")
    translate_all(course, "es", prefix="ES ")
    translate_all(course, "fr", prefix="FR ")
    learner = UserFactory(locale="es", manager=UserFactory(locale=manager_locale))
    attempt = failed_attempt(course, learner, "es")
    module = course.modules.get()

    messages, _events = attempt_failure_messages([attempt.pk])

    to_learner = next(m for m in messages if m.kind == Notification.Kind.ATTEMPT_FAILED)
    to_manager = next(m for m in messages if m.kind == Notification.Kind.MANAGER_ATTEMPT_FAILED)
    assert to_learner.context["course"] == f"ES {course.title}"
    assert {m["question"][:3] for m in to_learner.context["missed"]} == {"ES "}
    assert to_learner.context["missed_objectives"] == [f"ES {module.title}"]
    assert to_manager.context["course"] == f"{manager_prefix}{course.title}"
    assert to_manager.context["missed_objectives"] == [f"{manager_prefix}{module.title}"]


def test_the_case_file_keeps_the_courses_own_texts():
    course = make_course(questions=1, modules=1, description="What it covers")
    translate_all(course, "es", prefix="ES ")
    attempt = failed_attempt(course, UserFactory(locale="es"), "es")
    _messages, events = attempt_failure_messages([attempt.pk])
    assert events[0].detail["missed_objectives"] == [course.modules.get().title]


def test_a_booster_is_sent_and_shown_in_the_learners_language_when_all_of_it_is_translated(client):
    course = make_course(questions=1, title="Fire safety", description="What it covers")
    make_programme(course, schedule=[2], from_quiz=0, written=1)
    translate_all(course, "es", prefix="ES ")
    spanish = UserFactory(locale="es", email="sofia@example.com")
    french = UserFactory(locale="fr", email="louise@example.com")
    for learner in (spanish, french):
        complete(learner, course, at=timezone.now() - dt.timedelta(days=2))

    run_boosters(as_of=timezone.now())

    sent = {n.recipient_id: n.context for n in Notification.objects.filter(kind="booster")}
    assert sent[spanish.pk]["question"] == "ES Written question 0?"
    assert sent[spanish.pk]["course"] == "ES Fire safety"
    assert [c["text"] for c in sent[spanish.pk]["choices"]] == ["ES Good 0", "ES Bad 0"]
    assert sent[french.pk]["question"] == "Written question 0?"  # no French: the course's own

    delivery_id = sent[spanish.pk]["delivery_id"]
    client.force_login(spanish)
    page = client.get(reverse("boosters:question", args=[delivery_id])).content.decode()
    assert "ES Written question 0?" in page and "ES Good 0" in page and 'lang="es"' in page


def test_a_half_translated_booster_stays_in_the_courses_language():
    course = make_course(questions=1, description="What it covers")
    programme = make_programme(course, schedule=[2], from_quiz=0, written=1)
    translate_all(course, "es", prefix="ES ")
    course.text_translations.filter(
        kind="booster_choice", object_id=programme.questions.get().choices.first().pk
    ).delete()
    learner = UserFactory(locale="es")
    complete(learner, course, at=timezone.now() - dt.timedelta(days=2))
    run_boosters(as_of=timezone.now())
    assert Notification.objects.get(kind="booster").context["question"] == "Written question 0?"


def test_the_attempts_used_up_notices_are_in_each_readers_language():
    from assignments.models import Assignment
    from escalation.workflows.failures import follow_up_exhausted

    course = make_course(questions=1, modules=1, description="What it covers", max_attempts=1)
    translate_all(course, "es", prefix="ES ")
    learner = UserFactory(locale="es", manager=UserFactory(locale="en-gb"))
    attempt = failed_attempt(course, learner, "es")
    Assignment.objects.filter(pk=attempt.assignment_id).update(
        status=Assignment.Status.FAILED, failed_at=timezone.now()
    )

    messages = follow_up_exhausted([attempt.assignment_id], dry_run=True)

    by_kind = {m.kind: m.context for m in messages}
    assert by_kind[Notification.Kind.ATTEMPTS_EXHAUSTED]["course"] == f"ES {course.title}"
    assert by_kind[Notification.Kind.ATTEMPTS_EXHAUSTED]["missed"][0]["question"].startswith("ES ")
    assert by_kind[Notification.Kind.MANAGER_ATTEMPTS_EXHAUSTED]["course"] == course.title
