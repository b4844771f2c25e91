"""Awarding rules: each awards once per person and badge, a repeated nightly run awards nothing
new, leavers get nothing; a completion awards its course's badge at once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError

from assignments.models import Assignment, Attempt
from assignments.services.completions import completion_create_from_attempt
from courses.tests.factories import AttemptFactory, CompletionFactory, ExemptionFactory, make_course
from escalation.models import Notification
from escalation.nightly import WORKFLOWS
from escalation.recognition.models import Award, Badge
from escalation.recognition.services import award_revoke
from escalation.recognition.tests.factories import badge, completed
from escalation.recognition.workflow import run_recognition
from escalation.tests.conftest import assign, at
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def holders(b: Badge) -> set[int]:
    return set(Award.objects.filter(badge=b).values_list("recipient_id", flat=True))


def test_recognition_runs_in_the_nightly_before_the_digests():
    names = [name for name, _ in WORKFLOWS]
    assert names.index("recognition") < names.index("checkins_and_digests") < names.index("dispatch")


def test_a_course_badge_is_awarded_once_to_those_who_passed_and_not_to_leavers():
    course = make_course(questions=1, title="Fire safety")
    other = make_course(questions=1, title="Other")
    ann, bob, leaver, nobody = (UserFactory() for _ in range(4))
    with time_machine.travel(at(DAY - dt.timedelta(days=1)), tick=False):
        fire = badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    completed(ann, course, on=DAY)
    completed(bob, other, on=DAY)
    completed(leaver, course, on=DAY)
    leaver.is_active = False
    leaver.save()

    with time_machine.travel(at(DAY, 3), tick=False):
        first = run_recognition(as_of=at(DAY, 3))
        second = run_recognition(as_of=at(DAY, 3))
        third = run_recognition(as_of=at(DAY + dt.timedelta(days=1), 3))

    assert holders(fire) == {ann.pk}
    assert (first["awards"], second["awards"], third["awards"]) == (1, 0, 0)
    assert Notification.objects.filter(kind=Notification.Kind.BADGE_EARNED, recipient=ann).count() == 1
    assert not Notification.objects.filter(kind=Notification.Kind.BADGE_EARNED).exclude(recipient=ann).exists()
    assert nobody.pk not in holders(fire)


def test_a_new_course_badge_recognises_earlier_passes_quietly_as_of_their_own_day():
    # An admin makes a badge for a course people passed months ago: they hold it from the day they
    # passed (the assertion's issuedOn), and nobody gets a "badge earned" email or a digest line now.
    course = make_course(questions=1, title="Fire safety")
    ann, bob = UserFactory(), UserFactory()
    assignment, first = completed(ann, course, on=DAY)
    Assignment.objects.filter(pk=assignment.pk).update(
        archived_at=at(DAY + dt.timedelta(days=390)), archived_reason="Retraining"
    )
    completed(ann, course, on=DAY + dt.timedelta(days=400))  # retrained: the first pass counts
    later_day = DAY + dt.timedelta(days=600)
    with time_machine.travel(at(later_day, 9), tick=False):
        fire = badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    completed(bob, course, on=later_day + dt.timedelta(days=1))

    with time_machine.travel(at(later_day + dt.timedelta(days=2), 3), tick=False):
        summary = run_recognition(as_of=at(later_day + dt.timedelta(days=2), 3))

    assert summary["awards"] == 2
    old = Award.objects.get(badge=fire, recipient=ann)
    assert old.awarded_at == first.completed_at and old.completion_id == first.pk
    new = Award.objects.get(badge=fire, recipient=bob)
    assert new.awarded_at == at(later_day + dt.timedelta(days=2), 3)
    assert list(
        Notification.objects.filter(kind=Notification.Kind.BADGE_EARNED).values_list("recipient", flat=True)
    ) == [bob.pk]


def test_passing_a_course_awards_its_badge_at_once(django_capture_on_commit_callbacks):
    course = make_course(questions=1, title="Safe lifting")
    fire = badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    ann = UserFactory()
    assignment = assign(ann, course, due=DAY)
    attempt = AttemptFactory(
        assignment=assignment, number=1, status=Attempt.Status.SUBMITTED, submitted_at=at(DAY, 11), score=100,
        passed=True,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        completion_create_from_attempt(attempt=attempt)
    [award] = Award.objects.filter(badge=fire)
    assert award.recipient == ann and award.completion.assignment_id == assignment.pk
    # The nightly run finds nothing more to do.
    assert run_recognition(as_of=at(DAY + dt.timedelta(days=1)))["awards"] == 0


def test_all_required_training_current_needs_every_assignment_current_or_excused():
    one = make_course(questions=1, title="One")
    two = make_course(questions=1, title="Two")
    current = UserFactory()  # both done
    missing = UserFactory()  # one done, one due
    excused = UserFactory()  # one done, one exempt
    only_exempt = UserFactory()  # nothing done, exempt from all
    leaver = UserFactory()
    for person in (current, missing, excused, leaver):
        completed(person, one, on=DAY - dt.timedelta(days=5))
    completed(current, two, on=DAY - dt.timedelta(days=4))
    completed(leaver, two, on=DAY - dt.timedelta(days=4))
    assign(missing, two, due=DAY + dt.timedelta(days=20))
    assign(excused, two, due=DAY + dt.timedelta(days=20))
    ExemptionFactory(learner=excused, course_code=two.code, starts_on=DAY - dt.timedelta(days=3))
    assign(only_exempt, one, due=DAY + dt.timedelta(days=20))
    ExemptionFactory(learner=only_exempt, starts_on=DAY - dt.timedelta(days=3))
    leaver.is_active = False
    leaver.save()
    everything = badge(Badge.Rule.ALL_MANDATORY)

    with time_machine.travel(at(DAY, 3), tick=False):
        assert run_recognition(as_of=at(DAY, 3))["awards"] == 2
        assert run_recognition(as_of=at(DAY, 3))["awards"] == 0
    assert holders(everything) == {current.pk, excused.pk}


def test_an_expired_or_overdue_assignment_keeps_the_badge_away():
    course = make_course(questions=1, title="Done")
    lapsed = make_course(questions=1, title="Lapsed")
    expired, overdue = UserFactory(), UserFactory()
    completed(expired, course, on=DAY - dt.timedelta(days=3))
    late = assign(expired, lapsed, due=DAY - dt.timedelta(days=400), status=Assignment.Status.COMPLETED)
    CompletionFactory(
        learner=expired, course=lapsed, assignment=late, completed_at=at(DAY - dt.timedelta(days=400)),
        expires_on=DAY - dt.timedelta(days=35),
    )  # fmt: skip
    completed(overdue, course, on=DAY - dt.timedelta(days=3))
    assign(overdue, lapsed, due=DAY - dt.timedelta(days=1))
    everything = badge(Badge.Rule.ALL_MANDATORY)
    assert run_recognition(as_of=at(DAY, 3))["awards"] == 0
    assert holders(everything) == set()


def test_a_team_badge_goes_to_the_manager_of_a_team_all_current():
    course = make_course(questions=1, title="Team course")
    good_lead, bad_lead, gone_lead = UserFactory(), UserFactory(), UserFactory()
    for lead in (good_lead, bad_lead, gone_lead):
        for _ in range(2):
            completed(UserFactory(manager=lead), course, on=DAY - dt.timedelta(days=2))
    assign(UserFactory(manager=bad_lead), course, due=DAY - dt.timedelta(days=1))  # overdue
    # A leaver in the good team who never did it does not count against it.
    assign(UserFactory(manager=good_lead, is_active=False), course, due=DAY - dt.timedelta(days=1))
    gone_lead.is_active = False
    gone_lead.save()
    team = badge(Badge.Rule.TEAM_COMPLIANT)

    with time_machine.travel(at(DAY, 3), tick=False):
        assert run_recognition(as_of=at(DAY, 3))["awards"] == 1
        assert run_recognition(as_of=at(DAY, 3))["awards"] == 0
    assert holders(team) == {good_lead.pk}
    assert Notification.objects.get(kind=Notification.Kind.BADGE_EARNED).recipient == good_lead


def test_a_revoked_badge_is_not_given_back_and_the_database_refuses_a_second_award():
    course = make_course(questions=1, title="Fire safety")
    ann = UserFactory()
    completed(ann, course, on=DAY)
    fire = badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    run_recognition(as_of=at(DAY, 3))
    award_revoke(award=Award.objects.get(), actor=AdminFactory(), reason="Awarded in error")
    assert run_recognition(as_of=at(DAY + dt.timedelta(days=1), 3))["awards"] == 0
    with pytest.raises(IntegrityError):
        Award.objects.create(badge=fire, recipient=ann, awarded_at=at(DAY), identity_hash="x")


def test_a_badge_that_stopped_awarding_awards_nothing():
    course = make_course(questions=1, title="Fire safety")
    completed(UserFactory(), course, on=DAY)
    badge(Badge.Rule.COURSE_PASSED, course_code=course.code, is_active=False)
    assert run_recognition(as_of=at(DAY, 3))["awards"] == 0


def test_the_nightly_rules_cost_the_same_queries_for_ten_or_forty_people(django_assert_max_num_queries):
    course = make_course(questions=1, title="Scale")
    badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    badge(Badge.Rule.ALL_MANDATORY)
    badge(Badge.Rule.TEAM_COMPLIANT)

    def grow(n):
        lead = UserFactory()
        for _ in range(n):
            completed(UserFactory(manager=lead), course, on=DAY - dt.timedelta(days=1))

    grow(10)
    with django_assert_max_num_queries(40) as small:
        assert run_recognition(as_of=at(DAY, 3))["awards"] == 10 + 10 + 1
    grow(30)
    with django_assert_max_num_queries(40) as large:
        assert run_recognition(as_of=at(DAY + dt.timedelta(days=1), 3))["awards"] == 30 + 30 + 1
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_booster_streak_needs_n_right_answers_in_a_row_and_is_awarded_once():
    from assignments.boosters.models import BoosterDelivery
    from assignments.boosters.tests.factories import make_programme, queued_delivery

    course = make_course(questions=1, title="Streaks")
    programme = make_programme(course, schedule=[1, 2, 3, 4], from_quiz=0, written=1)
    choices = {c.is_correct: c for c in programme.questions.get().choices.all()}

    def answers(person, pattern: str):
        _, completion = completed(person, course, on=DAY - dt.timedelta(days=10))
        for step, mark in enumerate(pattern, start=1):
            delivery = queued_delivery(programme, completion, step=step)
            right = mark == "R"
            BoosterDelivery.objects.filter(pk=delivery.pk).update(
                answered_at=at(DAY - dt.timedelta(days=9 - step)), choice=choices[right], correct=right,
                answered_via="email",
            )  # fmt: skip

    streak, broken, leaver = UserFactory(), UserFactory(), UserFactory()
    answers(streak, "WRRR")
    answers(broken, "RRWR")
    answers(leaver, "RRRR")
    leaver.is_active = False
    leaver.save()
    three = badge(Badge.Rule.BOOSTER_STREAK, streak=3)
    assert run_recognition(as_of=at(DAY, 3))["awards"] == 1
    assert run_recognition(as_of=at(DAY, 3))["awards"] == 0
    assert holders(three) == {streak.pk}


def test_why_a_badge_was_awarded_is_read_in_the_readers_language_not_stored_translated():
    # The i18n helper's finding (issue 16): the reason was stored in the language of the nightly run.
    from django.utils import translation

    from escalation.recognition.templatetags.recognition_tags import award_reason

    course = make_course(questions=1, title="Fire safety")
    ann = UserFactory(locale="fr")
    with time_machine.travel(at(DAY - dt.timedelta(days=1)), tick=False):
        fire = badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    completed(ann, course, on=DAY)
    with time_machine.travel(at(DAY, 3), tick=False):
        run_recognition(as_of=at(DAY, 3))
    award = Award.objects.select_related("badge").get(badge=fire)
    item = Notification.objects.get(kind=Notification.Kind.BADGE_EARNED).context
    for language in ("fr", "en-gb"):
        with translation.override(language):
            expected = translation.gettext("Passed %(code)s") % {"code": course.code}
            assert award_reason(award) == expected
            assert award_reason(item) == expected
    assert award_reason({"reason": "Passed OLD-1"}) == "Passed OLD-1"  # a message queued before
