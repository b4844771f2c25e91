"""The nightly booster workflow: who gets a booster and when, the spaced-repetition rule, query
counts on two sizes of data, and replays of bugs reported against the same behaviour elsewhere."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.boosters.models import BoosterDelivery
from assignments.boosters.services import (
    answer_path,
    answer_paths,
    booster_answer,
    pick_question,
    programme_save,
    read_answer_token,
)
from assignments.boosters.tests.factories import complete, make_programme
from assignments.models import Assignment
from courses.tests.factories import ExemptionFactory, make_course
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from escalation.workflows.boosters import run_boosters
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
DONE = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday


def night(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=LONDON)


def run(day: dt.date, hour: int = 2, **kwargs):
    with time_machine.travel(night(day, hour), tick=False):
        return run_boosters(as_of=night(day, hour), **kwargs)


@pytest.fixture
def course(db):
    return make_course(questions=2, title="Fire safety")


def test_pick_question_asks_a_wrong_answer_again_first_then_the_next_new_one_then_the_oldest():
    questions = [10, 20, 30]
    assert pick_question(history=[], question_ids=questions) == (10, False)
    assert pick_question(history=[(1, 10, True)], question_ids=questions) == (20, False)
    # Answered wrong at step 1: it comes back before anything new; unanswered is not wrong.
    assert pick_question(history=[(1, 10, False), (2, 20, None)], question_ids=questions) == (10, True)
    # Right the second time: no longer owed.
    assert pick_question(history=[(1, 10, False), (2, 10, True)], question_ids=questions) == (20, False)
    # All asked: the one asked longest ago.
    assert pick_question(history=[(1, 10, True), (2, 20, True), (3, 30, True)], question_ids=questions) == (10, False)
    # A retired question owed is not asked again.
    assert pick_question(history=[(1, 99, False)], question_ids=questions) == (10, False)
    assert pick_question(history=[], question_ids=[]) is None


def test_exempt_learners_skip_the_day_and_archived_assignments_and_leavers_stop(course):
    make_programme(course, schedule=[2, 7])
    exempt, archived, leaver, normal = (UserFactory(email=f"{n}@example.com") for n in "eaLn")
    completions = {user: complete(user, course, at=DONE) for user in (exempt, archived, leaver, normal)}
    ExemptionFactory(learner=exempt, course_code="", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 5))
    run(dt.date(2026, 3, 3))  # enrol
    Assignment.objects.filter(pk=completions[archived].assignment_id).update(
        archived_at=night(dt.date(2026, 3, 3)), archived_reason=Assignment.ArchiveReason.RETRAINING
    )
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])

    summary = run(dt.date(2026, 3, 4))

    steps = {d.learner: d for d in BoosterDelivery.objects.filter(step=1)}
    assert (steps[normal].status, steps[normal].skip_reason) == ("queued", "")
    assert (steps[exempt].status, steps[exempt].skip_reason) == ("skipped", "exempt")
    assert (steps[archived].status, steps[archived].skip_reason) == ("skipped", "archived")
    assert (steps[leaver].status, steps[leaver].skip_reason) == ("skipped", "left")
    assert set(Notification.objects.filter(kind="booster").values_list("recipient", flat=True)) == {normal.pk}
    assert (summary["queued"], summary["skipped"], summary["notifications"]) == (1, 3, 1)
    # The exempt learner keeps the next step; the archived and the leaver have none.
    assert set(BoosterDelivery.objects.filter(step=2).values_list("learner", flat=True)) == {normal.pk, exempt.pk}
    run(dt.date(2026, 3, 9))
    assert set(Notification.objects.filter(kind="booster").values_list("recipient", flat=True)) == {
        normal.pk,
        exempt.pk,
    }


def test_a_wrong_answer_at_the_last_step_adds_one_step_a_last_gap_later(course):
    make_programme(course, schedule=[2, 7], from_quiz=1, written=1)
    learner = UserFactory()
    complete(learner, course, at=DONE)
    run(dt.date(2026, 3, 3))
    run(dt.date(2026, 3, 4))
    run(dt.date(2026, 3, 9))
    last = BoosterDelivery.objects.get(learner=learner, step=2)
    assert last.status == "queued"
    wrong = last.question.choices.filter(is_correct=False).first()
    with time_machine.travel(night(dt.date(2026, 3, 9), 12), tick=False):
        booster_answer(delivery=last, choice_id=wrong.pk, via="home")
    extra = BoosterDelivery.objects.get(learner=learner, step=3)
    # The last gap of [2, 7] is 5 days: due on 14 March, and it asks the same question again.
    assert (extra.due_on, extra.status) == (dt.date(2026, 3, 14), "pending")
    run(dt.date(2026, 3, 14))
    extra.refresh_from_db()
    assert (extra.status, extra.question_id, extra.is_repeat) == ("queued", last.question_id, True)


def test_one_booster_a_day_per_learner_the_other_waits_a_day(course):
    other = make_course(questions=1, title="First aid")
    make_programme(course, schedule=[2])
    make_programme(other, schedule=[2], from_quiz=1, written=0)
    learner = UserFactory()
    complete(learner, course, at=DONE)
    complete(learner, other, at=DONE)
    run(dt.date(2026, 3, 3))
    assert run(dt.date(2026, 3, 4))["queued"] == 1
    assert Notification.objects.filter(kind="booster").count() == 1
    assert run(dt.date(2026, 3, 4), hour=14)["queued"] == 0  # later the same day: still one
    assert run(dt.date(2026, 3, 5))["queued"] == 1
    assert Notification.objects.filter(kind="booster").count() == 2


def test_the_completions_of_every_programme_are_enrolled_in_one_read(course):
    other = make_course(questions=1, title="First aid")
    make_programme(course, schedule=[2, 7])
    make_programme(other, schedule=[5], from_quiz=1, written=0)
    complete(UserFactory(), course, at=DONE)
    complete(UserFactory(), other, at=DONE)

    with CaptureQueriesContext(connection) as queries:
        summary = run(dt.date(2026, 3, 5))

    assert summary["enrolled"] == 2
    assert sum('FROM "assignments_completion"' in q["sql"] for q in queries.captured_queries) == 1
    # Step 1 of the first programme fell on the 4th, before the run: it starts at step 2.
    assert set(BoosterDelivery.objects.values_list("programme__course_code", "step", "due_on")) == {
        (course.code, 2, dt.date(2026, 3, 9)),
        (other.code, 1, dt.date(2026, 3, 7)),
    }


def test_the_links_of_a_batch_are_the_links_answer_path_makes():
    with time_machine.travel(night(dt.date(2026, 3, 4)), tick=False):
        link = answer_paths()
        assert link(12, 34) == answer_path(delivery_id=12, choice_id=34)
        assert read_answer_token(link(12, 34).split("/")[-2]) == (12, 34)


def test_a_dry_run_counts_and_changes_nothing(course):
    make_programme(course, schedule=[2])
    complete(UserFactory(), course, at=DONE)
    run(dt.date(2026, 3, 3))
    summary = run(dt.date(2026, 3, 4), dry_run=True)
    assert (summary["queued"], summary["notifications"]) == (1, 1)
    assert not Notification.objects.exists()
    assert BoosterDelivery.objects.get().status == "pending"


def test_an_inactive_programme_sends_nothing_and_a_changed_schedule_redates_the_waiting_steps(course):
    programme = make_programme(course, schedule=[2, 7])
    learner = UserFactory()
    complete(learner, course, at=DONE)
    run(dt.date(2026, 3, 3))
    step = BoosterDelivery.objects.get(learner=learner)
    assert step.due_on == dt.date(2026, 3, 4)
    programme_save(course=course, is_active=False, schedule_days=[3, 10], retention_threshold=70, actor=None)
    step.refresh_from_db()
    assert step.due_on == dt.date(2026, 3, 5)
    assert run(dt.date(2026, 3, 5))["queued"] == 0
    programme.refresh_from_db()
    assert (programme.retention_threshold, programme.is_active) == (70, False)


def _organisation(course, learners: int):
    for index in range(learners):
        user = UserFactory(timezone=["Europe/London", "Australia/Sydney", "America/New_York"][index % 3])
        complete(user, course, at=DONE + dt.timedelta(minutes=index))


@pytest.mark.parametrize("learners", [3, 30])
def test_the_workflow_runs_in_a_fixed_number_of_queries_whatever_the_number_of_learners(
    course, learners, django_assert_max_num_queries
):
    make_programme(course, schedule=[2, 7])
    _organisation(course, learners)
    # + 1 each for the programmes' translations (issue 16: the email in the learner's language).
    with django_assert_max_num_queries(8):
        summary = run(dt.date(2026, 3, 3))  # enrol (nothing due yet in London or New York)
    assert summary["enrolled"] == learners
    with django_assert_max_num_queries(17):
        summary = run(dt.date(2026, 3, 5))
    assert summary["queued"] == learners
    assert Notification.objects.filter(kind="booster").count() == learners


# --- bugs reported against the same behaviour elsewhere, replayed -------------------------------


def test_replay_mail_scanners_opening_every_link_answer_nothing(course, client, settings, mailoutbox):
    """Foundry376/Mailspring#1263, alancwoo/secret#3: a mail client or scanner that follows every
    link in a message used up one-time links before the person saw them. Here a GET only shows the
    question: a scanner opening every answer link (twice) records nothing, and the learner's own
    answer afterwards is the one recorded."""
    settings.SITE_URL = "http://testserver"
    make_programme(course, schedule=[2])
    learner = UserFactory(email="pat@example.com")
    complete(learner, course, at=DONE)
    run(dt.date(2026, 3, 3))
    run(dt.date(2026, 3, 4))
    with time_machine.travel(night(dt.date(2026, 3, 4), 9), tick=False):
        run_dispatch()
        links = re.findall(r"http://testserver(/boosters/a/\S+/)", mailoutbox[0].body)
        assert len(links) == 3
        for path in links * 2:
            assert client.get(path).status_code == 200
        delivery = BoosterDelivery.objects.get()
        assert delivery.answered_at is None
        right = delivery.question.choices.get(is_correct=True)
        client.post(links[0], {"choice": right.pk})
    delivery.refresh_from_db()
    assert (delivery.correct, delivery.choice_id) == (True, right.pk)


def test_replay_a_reminder_that_fires_at_midnight_and_again_at_its_time_is_sent_once(course):
    """scoutplan/scoutplan#237: daily reminders fired at midnight and again at the set time. Here
    runs at 00:05, 02:00 and 23:55 of the learner's day queue their booster once."""
    make_programme(course, schedule=[2])
    learner = UserFactory()
    complete(learner, course, at=DONE)
    run(dt.date(2026, 3, 3))
    day = dt.date(2026, 3, 4)
    queued = []
    for moment in (dt.time(0, 5), dt.time(2, 0), dt.time(23, 55)):
        at = dt.datetime.combine(day, moment, tzinfo=LONDON)
        with time_machine.travel(at, tick=False):
            queued.append(run_boosters(as_of=at)["queued"])
    assert queued == [1, 0, 0]
    assert Notification.objects.filter(recipient=learner, kind="booster").count() == 1


def test_replay_a_late_enrolment_gets_the_next_step_not_every_missed_one_at_once(course):
    """TeaWithStrangers/tws-on-rails#263: someone who signed up late got every reminder at once.
    Here a programme switched on three weeks after a completion sends the next step on its day,
    not the steps already past."""
    make_programme(course, schedule=[2, 7, 21, 60])
    learner = UserFactory()
    complete(learner, course, at=DONE)
    summary = run(dt.date(2026, 3, 20))
    assert summary["queued"] == 0
    first = BoosterDelivery.objects.get(learner=learner)
    assert (first.step, first.due_on) == (3, dt.date(2026, 3, 23))
    assert run(dt.date(2026, 3, 23))["queued"] == 1
    assert Notification.objects.filter(kind="booster").count() == 1
