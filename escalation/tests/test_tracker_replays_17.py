"""Other projects' bugs in what issue 17 built (boosters, badges), replayed on ours and kept.

- remnoteio/remnote-issues#273: a card the learner had to see again "disappears from the queue
  indefinitely". Ours: two questions answered wrong while only one step is left; the second must
  still come back.
- remnoteio/remnote-issues#263: answering a card once moved its next repetition twice. Ours: a
  replayed wrong answer adds no second step, and the added step is a last gap later, not today.
- fabd/kanji-koohii#174: the spaced-repetition day rolled over at the server's midnight, not the
  learner's. Ours: the step added after a wrong answer is dated on the learner's own day.
- 1EdTech/openbadges-validator-core#262 (an ``issuedOn`` without a time zone) with
  1EdTech/openbadges-specification#13 (the timestamp pattern) and openbadges-validator-core#73
  (``issuedOn`` not in the future): our assertions' ``issuedOn``.
- universityofcalifornia/NeXt#281: "the same badge can be awarded twice to one person". Ours:
  passes of two versions of a course, the completion receiver and the nightly run, one award.
- CoderDojo/community-platform#1014: "Criteria/name should not be reworked once set as then
  historical users do not know what badge they earned and what for" (and
  1EdTech/openbadges-specification#263 on changing awarded BadgeClasses). Ours: an admin moves an
  awarded course badge to another course; the holders' assertions must still say what they did.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from assignments.boosters.models import BoosterDelivery
from assignments.boosters.services import MAX_EXTRA_STEPS, booster_answer
from assignments.boosters.tests.factories import complete, make_programme, queued_delivery
from assignments.models import Assignment, Completion
from assignments.signals import course_completed
from courses.tests.factories import make_course
from escalation.models import Notification
from escalation.recognition.models import Award, Badge
from escalation.recognition.tests.factories import badge, completed
from escalation.recognition.workflow import run_recognition
from escalation.tests.conftest import at
from escalation.workflows.boosters import run_boosters
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
DONE = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday
# Open Badges 2.0 DateTime (openbadges-specification#13's pattern) with the zone made mandatory.
ISSUED_ON = re.compile(r"^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d(:[0-5]\d)?([.,]\d{1,6})?(Z|[+-][0-2]\d:?[0-5]\d)$")


def night(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=LONDON)


def run(day: dt.date, hour: int = 2):
    with time_machine.travel(night(day, hour), tick=False):
        return run_boosters(as_of=night(day, hour))


def answer(delivery: BoosterDelivery, *, right: bool, when: dt.datetime):
    delivery.refresh_from_db()
    choice = delivery.question.choices.filter(is_correct=right).first()
    with time_machine.travel(when, tick=False):
        return booster_answer(delivery=delivery, choice_id=choice.pk, via="home", at=when)


@pytest.fixture
def course(db):
    return make_course(questions=2, title="Fire safety")


# --- boosters ------------------------------------------------------------------------------


def test_remnote_273_two_questions_answered_wrong_both_come_back(course):
    """remnoteio/remnote-issues#273: a card to be seen again vanished from the queue for good.
    Schedule [2, 7]: step 1 asks Q1, step 2 (the last) asks Q2; the learner answers both wrong on
    9 March. The first wrong answer adds step 3 (14 March), which asks Q1 again; the second finds
    step 3 pending and adds nothing. Q1 is then answered right: Q2, still owed, with two of the
    three extra steps unused, must come back at a later step."""
    make_programme(course, schedule=[2, 7], from_quiz=1, written=1)
    learner = UserFactory()
    complete(learner, course, at=DONE)
    run(dt.date(2026, 3, 3))
    run(dt.date(2026, 3, 4))
    run(dt.date(2026, 3, 9))
    first, last = (BoosterDelivery.objects.get(learner=learner, step=step) for step in (1, 2))
    assert (first.status, last.status) == ("queued", "queued") and first.question_id != last.question_id

    answer(first, right=False, when=night(dt.date(2026, 3, 9), 12))
    answer(last, right=False, when=night(dt.date(2026, 3, 9), 13))
    run(dt.date(2026, 3, 14))
    extra = BoosterDelivery.objects.get(learner=learner, step=3)
    assert (extra.status, extra.question_id, extra.is_repeat) == ("queued", first.question_id, True)
    answer(extra, right=True, when=night(dt.date(2026, 3, 14), 12))
    for day in (dt.date(2026, 3, 19), dt.date(2026, 3, 20), dt.date(2026, 3, 30)):
        run(day)

    asked_again = BoosterDelivery.objects.filter(
        learner=learner, step__gt=2, question_id=last.question_id, status="queued"
    )
    assert asked_again.exists(), "Q2, answered wrong, was never asked again"


def test_remnote_263_a_replayed_wrong_answer_adds_one_step_a_last_gap_later_up_to_the_cap(course):
    """remnoteio/remnote-issues#263: one answer moved the next repetition twice and scheduled the
    card again the same day. Ours: a wrong answer at the last step adds one step a last gap (5
    days of [2, 7]) after the answer's day; the same answer sent again (a second tab, a replayed
    link) records nothing and adds nothing; wrong again and again, at most 3 steps are added."""
    make_programme(course, schedule=[2, 7], from_quiz=1, written=1)
    learner = UserFactory()
    complete(learner, course, at=DONE)
    run(dt.date(2026, 3, 3))
    run(dt.date(2026, 3, 4))
    run(dt.date(2026, 3, 9))
    last = BoosterDelivery.objects.get(learner=learner, step=2)

    first = answer(last, right=False, when=night(dt.date(2026, 3, 9), 12))
    again = answer(last, right=False, when=night(dt.date(2026, 3, 9), 12) + dt.timedelta(minutes=1))

    assert (first.recorded, again.recorded) == (True, False)
    added = list(BoosterDelivery.objects.filter(learner=learner, step__gt=2).values_list("step", "due_on", "status"))
    assert added == [(3, dt.date(2026, 3, 14), "pending")]

    day = dt.date(2026, 3, 14)
    for step in range(3, 2 + MAX_EXTRA_STEPS + 1):
        run(day)
        delivery = BoosterDelivery.objects.get(learner=learner, step=step)
        assert (delivery.status, delivery.due_on) == ("queued", day)
        answer(delivery, right=False, when=night(day, 12))
        day += dt.timedelta(days=5)
    # Three steps beyond the schedule of two, then no more however often it is answered wrong.
    assert BoosterDelivery.objects.filter(learner=learner).count() == 2 + MAX_EXTRA_STEPS
    assert not BoosterDelivery.objects.filter(learner=learner, status="pending").exists()


def test_kanji_koohii_174_the_step_added_after_a_wrong_answer_is_on_the_learners_own_day(course):
    """fabd/kanji-koohii#174: due cards came at the server's midnight, not the learner's. A learner
    in Sydney answers wrong at 14:30 UTC on 9 March, already 01:30 on 10 March for them: the step
    added is due on their 15 March (10 + 5), from their midnight (13:00 UTC on 14 March), and the
    nightly run queues it from then, not earlier."""
    programme = make_programme(course, schedule=[2, 7], from_quiz=1, written=1)
    learner = UserFactory(timezone="Australia/Sydney")
    completion = complete(learner, course, at=DONE)
    last = queued_delivery(programme, completion, step=2)

    answer(last, right=False, when=dt.datetime(2026, 3, 9, 14, 30, tzinfo=dt.UTC))

    extra = BoosterDelivery.objects.get(completion=completion, step=3)
    assert extra.due_on == dt.date(2026, 3, 15)
    assert extra.due_at == dt.datetime(2026, 3, 15, tzinfo=SYDNEY).astimezone(dt.UTC)
    assert extra.due_at == dt.datetime(2026, 3, 14, 13, 0, tzinfo=dt.UTC)
    before = dt.datetime(2026, 3, 14, 12, 30, tzinfo=dt.UTC)  # 23:30 on 14 March in Sydney
    with time_machine.travel(before, tick=False):
        run_boosters(as_of=before)
    extra.refresh_from_db()
    assert extra.status == "pending"
    after = dt.datetime(2026, 3, 14, 13, 30, tzinfo=dt.UTC)  # 00:30 on 15 March in Sydney
    with time_machine.travel(after, tick=False):
        run_boosters(as_of=after)
    extra.refresh_from_db()
    assert (extra.status, extra.is_repeat, extra.question_id) == ("queued", True, last.question_id)


# --- badges --------------------------------------------------------------------------------


def test_openbadges_validator_262_issued_on_is_a_zoned_timestamp_of_the_award_and_not_in_the_future(client, settings):
    """1EdTech/openbadges-validator-core#262: an assertion's ``issuedOn`` was
    "2024-11-08T10:33:30.649696", with no time zone (openbadges-specification#13 and #86: ISO 8601
    with a zone); openbadges-validator-core#73: ``issuedOn`` must not be in the future. Ours: the
    award made tonight and the one recognised quietly for an earlier pass both carry a zone, name
    the instant of the award (the pass, for the quiet one), and neither is after the run."""
    settings.SITE_URL = "https://lms.example.test"
    day = dt.date(2026, 3, 2)
    course = make_course(questions=1, title="Fire safety")
    early, late = UserFactory(), UserFactory()
    _, early_pass = completed(early, course, on=day - dt.timedelta(days=30), hour=15)
    with time_machine.travel(at(day - dt.timedelta(days=1)), tick=False):
        badge(Badge.Rule.COURSE_PASSED, course_code=course.code)
    completed(late, course, on=day)
    run_at = at(day + dt.timedelta(days=1), 3)
    with time_machine.travel(run_at, tick=False):
        run_recognition(as_of=run_at)
        issued = {}
        for award in Award.objects.all():
            data = client.get(reverse("recognition:assertion", args=[award.token])).json()
            issued[award.recipient_id] = data["issuedOn"]

    for value in issued.values():
        assert ISSUED_ON.match(value), value
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        assert moment.tzinfo is not None and moment <= run_at
    assert dt.datetime.fromisoformat(issued[early.pk]) == early_pass.completed_at
    assert dt.datetime.fromisoformat(issued[late.pk]) == run_at


def test_next_281_passes_of_two_versions_the_receiver_and_the_nightly_run_make_one_award():
    """universityofcalifornia/NeXt#281: "the same badge can be awarded twice to one person". A
    learner passes version 1 and then version 2 of a course whose badge counts any version; the
    completion receiver runs for each pass, and the nightly run twice: one award, one email."""
    v1 = make_course(questions=1, title="Fire safety")
    v2 = make_course(questions=1, title="Fire safety", code=v1.code, version=2)
    day = dt.date(2026, 3, 2)
    with time_machine.travel(at(day - dt.timedelta(days=1)), tick=False):
        fire = badge(Badge.Rule.COURSE_PASSED, course_code=v1.code)
    ann = UserFactory()
    for course, on in ((v1, day), (v2, day + dt.timedelta(days=200))):
        # Retrained: the first assignment archived before the second version is assigned.
        Assignment.objects.filter(learner=ann).update(archived_at=at(on, 9), archived_reason="Retraining")
        _, completion = completed(ann, course, on=on)
        with time_machine.travel(at(on, 11), tick=False):
            course_completed.send(sender=Completion, completion=completion, assignment=completion.assignment)
            run_recognition(as_of=at(on, 12))
    run_recognition(as_of=at(day + dt.timedelta(days=201)))

    [award] = Award.objects.filter(badge=fire)
    assert award.recipient == ann and award.completion.course_version == 1
    assert Notification.objects.filter(kind=Notification.Kind.BADGE_EARNED, recipient=ann).count() == 1


def test_coderdojo_1014_moving_an_awarded_badge_to_another_course_keeps_what_holders_earned(client, settings):
    """CoderDojo/community-platform#1014: reworking an awarded badge's criteria leaves its holders
    with a badge that says they did something else. Ann holds "Fire warden" for passing the fire
    course; an admin then points the badge at the first-aid course. Either the change is refused
    or Ann's assertion still says she passed the fire course; the verification page likewise."""
    settings.SITE_URL = "https://lms.example.test"
    day = dt.date(2026, 3, 2)
    fire = make_course(questions=1, title="Fire safety", code="FIRE-17")
    first_aid = make_course(questions=1, title="First aid", code="AID-17")
    with time_machine.travel(at(day - dt.timedelta(days=1)), tick=False):
        warden = badge(Badge.Rule.COURSE_PASSED, name="Fire warden", course_code=fire.code)
    ann = UserFactory()
    completed(ann, fire, on=day)
    run_recognition(as_of=at(day, 3))
    award = Award.objects.get(badge=warden, recipient=ann)
    client.force_login(AdminFactory())

    client.post(
        reverse("recognition:badge_edit", args=[warden.pk]),
        {"name": "Fire warden", "description": "For doing it well.", "criteria": "course_passed",
         "course_code": first_aid.code, "is_active": "on"},
    )  # fmt: skip

    client.logout()
    assertion = client.get(reverse("recognition:assertion", args=[award.token])).json()
    badge_class = client.get(assertion["badge"].removeprefix(settings.SITE_URL)).json()
    assert fire.code in badge_class["criteria"]["narrative"]
    assert first_aid.code not in badge_class["criteria"]["narrative"]
    page = client.get(reverse("recognition:verify", args=[award.token])).content.decode()
    assert fire.code in page and first_aid.code not in page
