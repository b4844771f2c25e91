"""Refresher offers (issue 17, escalation.workflows.refreshers): a learner whose booster answers for
a completion are right less often than the programme's threshold (60 % here), from 3 answers up,
is offered a refresher once per completion, while their training is current."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from assignments.models import Assignment
from courses.tests.factories import CompletionFactory, ExemptionFactory, make_course
from escalation import nightly
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from escalation.tests.conftest import assign, at
from escalation.workflows.recertification import run_recertification
from escalation.workflows.refreshers import run_refresher_offers
from lms.tests.factories import UserFactory
from reports.tests import boosters_data

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)
SITE = "http://lms.example.test:8765"
Kind = Notification.Kind


@pytest.fixture
def course(db):
    return make_course(questions=1, title="Fire safety", recertification_months=12, recertification_window_days=30)


@pytest.fixture
def programme(course):
    return boosters_data.programme(course, schedule=(2, 7, 21, 60, 90), threshold=60)


def learner_with(course, programme, answers, *, expires_on=DAY + dt.timedelta(days=335), **user):
    """A learner who completed ``course`` 30 days before DAY and answered boosters for it
    (True right, False wrong, None sent and not answered), the last one a day before DAY."""
    learner = UserFactory(**user)
    assignment = assign(learner, course, due=DAY - dt.timedelta(days=20), status=Assignment.Status.COMPLETED)
    completion = CompletionFactory(
        learner=learner,
        course=course,
        assignment=assignment,
        completed_at=at(DAY - dt.timedelta(days=30)),
        expires_on=expires_on,
    )
    asked = programme.questions.first() or boosters_data.question(programme, "Where is the assembly point?")
    for step, right in enumerate(answers, start=1):
        boosters_data.answer(completion, asked, step, right, at=at(DAY - dt.timedelta(days=len(answers) - step + 1)))
    return learner, completion


def offers() -> list[Notification]:
    return list(Notification.objects.filter(kind=Kind.REFRESHER_OFFERED).order_by("pk"))


def run(day: dt.date = DAY, **kwargs):
    with time_machine.travel(at(day, 3), tick=False):
        return run_refresher_offers(as_of=at(day, 3), **kwargs)


def test_a_learner_below_the_threshold_is_offered_a_refresher_exactly_once(course, programme):
    learner, completion = learner_with(course, programme, [True, False, False])  # 1 of 3: 33.3 %
    summary = run()
    [offer] = offers()
    assert (offer.recipient_id, offer.assignment_id, offer.dedupe_key) == (
        learner.pk,
        completion.assignment_id,
        f"refresher_offered:{completion.pk}",
    )
    assert {k: offer.context[k] for k in ("answered", "right", "retention", "threshold", "expires_on")} == {
        "answered": 3,
        "right": 1,
        "retention": 33.3,
        "threshold": 60,
        "expires_on": (DAY + dt.timedelta(days=335)).isoformat(),
    }
    assert summary["offered"] == summary["notifications"] == 1
    # the same night again, and the next night after one more wrong answer: nothing new
    assert run()["offered"] == 0
    boosters_data.answer(completion, programme.questions.first(), 4, False, at=at(DAY, 10))
    assert run(DAY + dt.timedelta(days=1))["offered"] == 0
    assert len(offers()) == 1


@pytest.mark.parametrize(
    ("answers", "offered"),
    [
        ([True, True, False], False),  # 66.7 %
        ([True, True, True, False, False], False),  # exactly 60 %: not below
        ([True, True, False, False, False], True),  # 40 %
        ([False, False], False),  # 2 answers are too few to judge
        ([False, False, None, None], False),  # unanswered boosters are not answers
        ([True, False, False, None], True),  # 1 of the 3 answered
    ],
)
def test_the_threshold_and_the_minimum_of_three_answers(course, programme, answers, offered):
    learner_with(course, programme, answers)
    run()
    assert bool(offers()) is offered


def test_not_offered_to_leavers_the_exempt_archived_or_an_inactive_programme(course, programme):
    learner_with(course, programme, [False] * 3, is_active=False)
    exempt, _ = learner_with(course, programme, [False] * 3)
    ExemptionFactory(learner=exempt, course_code=course.code, starts_on=DAY - dt.timedelta(days=3))
    _, archived = learner_with(course, programme, [False] * 3)
    Assignment.objects.filter(pk=archived.assignment_id).update(
        archived_at=at(DAY - dt.timedelta(days=1)), archived_reason=Assignment.ArchiveReason.RETRAINING
    )
    assert run()["offered"] == 0
    # the one who qualifies is offered once the programme is active
    programme.is_active = False
    programme.save()
    qualifies, _ = learner_with(course, programme, [False] * 3)
    assert run()["offered"] == 0
    programme.is_active = True
    programme.save()
    run()
    assert [o.recipient_id for o in offers()] == [qualifies.pk]


def test_not_offered_after_recertification(course, programme):
    # renewed: completed the course again since
    renewed, old = learner_with(course, programme, [False] * 3)
    CompletionFactory(learner=renewed, course=course, completed_at=at(DAY - dt.timedelta(days=2)))
    # the certificate has expired: the recertification date has passed
    learner_with(course, programme, [False] * 3, expires_on=DAY)
    assert run()["offered"] == 0
    # inside the renewal window: tonight's recertification archives the assignment and re-assigns
    window, _ = learner_with(course, programme, [False] * 3, expires_on=DAY + dt.timedelta(days=20))
    with time_machine.travel(at(DAY, 2), tick=False):
        assert run_recertification(as_of=at(DAY, 2))["reassigned"] == 2  # the expired one too
    assert run()["offered"] == 0
    assert Assignment.objects.filter(learner=window, archived_at__isnull=True, status="assigned").exists()


def test_answers_older_than_the_lookback_are_not_read_again(course, programme):
    learner_with(course, programme, [False] * 3)
    # the last answer was at 02:00 the day before DAY; the run looks 7 days back from 03:00
    assert run(DAY + dt.timedelta(days=6))["offered"] == 0
    assert run(DAY + dt.timedelta(days=5))["offered"] == 1


def test_a_dry_run_writes_nothing(course, programme):
    learner_with(course, programme, [False] * 3)
    assert run(dry_run=True)["offered"] == 1
    assert offers() == []


def test_the_email_offers_the_completed_course_to_review(client, course, programme, settings):
    settings.SITE_URL = SITE
    learner, completion = learner_with(course, programme, [True, False, False], first_name="Ann")
    run()
    with time_machine.travel(at(DAY, 4), tick=False):
        run_dispatch()
    [message] = mail.outbox
    assert message.to == [learner.email]
    assert message.subject == "A refresher for Fire safety: review it before your certificate renews"
    path = reverse("player_course", args=[completion.assignment_id])
    assert f"Review the course: {SITE}{path}" in message.body
    assert "you answered 1 of 3 booster questions right (33.3%)" in message.body
    assert "before your certificate comes up for renewal on 31 Jan 2027" in message.body
    client.force_login(learner)
    page = client.get(path)
    assert page.status_code == 200 and page.context["completion"] is not None  # the review of a completed course


def test_the_offer_runs_in_the_nightly_run_after_the_boosters(course, programme):
    names = [name for name, _ in nightly.WORKFLOWS]
    assert names.index("refresher_offers") == names.index("boosters") + 1
    learner_with(course, programme, [False] * 3)
    with time_machine.travel(at(DAY, 3), tick=False):
        results = nightly.run_nightly(as_of=at(DAY, 3), only=["refresher_offers"])
    assert results[0]["offered"] == 1


def test_the_run_takes_the_same_queries_for_ten_times_the_learners(course, programme, django_assert_num_queries):
    for _ in range(3):
        learner_with(course, programme, [False] * 3)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        Notification.objects.filter(kind=Kind.REFRESHER_OFFERED).delete()
        with CaptureQueriesContext(connection) as queries:
            run()
        return len(queries)

    small = count()
    for _ in range(27):
        learner_with(course, programme, [False] * 3)
    assert count() == small
    assert len(offers()) == 30
