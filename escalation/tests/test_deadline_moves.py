"""Reminder and ladder progress belongs to a deadline (issue 12, items 18 and 27).

Replayed from the issue: due 31 Dec 2026, reminders at 14/7/1 days, the 14- and 7-day reminders
sent; leave from 27 Dec to 24 Feb moves the due date to 1 Mar 2027. The reminders still ahead of the
new date come for it, whatever moved the date (an exemption return, an admin's change, a bulk
update, a retake deadline), and the ladder starts again for a new deadline. The overdue ladder's
"day 7" is the 7th day after the deadline, in the editor, the firing day, the email and the letter.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assignments.deadlines import ensure_deadline_trigger
from assignments.models import Assignment
from courses.tests.factories import ExemptionFactory
from escalation.dispatch import run_dispatch
from escalation.models import EscalationEvent, EscalationPolicy, EscalationStep, Notification, WarningLetter
from escalation.nightly import run_nightly
from escalation.tests.conftest import assign, at
from escalation.workflows.overdue import run_overdue_ladder
from escalation.workflows.reminders import run_due_reminders
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 12, 31)
NEW_DUE = dt.date(2027, 3, 1)


def reminders(assignment) -> list[tuple[str, str, int]]:
    """(due date, dedupe key, days left) of each reminder queued for the assignment, oldest first."""
    rows = Notification.objects.filter(assignment=assignment, kind=Notification.Kind.REMINDER).order_by("pk")
    return [(n.context["due_date"], n.dedupe_key, n.context["days_left"]) for n in rows]


def nights(first: dt.date, last: dt.date, *, only: list[str]) -> None:
    day = first
    while day <= last:
        run_nightly(as_of=at(day), only=only)
        day += dt.timedelta(days=1)


def test_reminders_come_again_for_a_due_date_moved_by_a_return_from_leave(team, course, policy):
    """The issue's replay, through run_nightly. The leave covers 15 Feb, when a 14-day reminder
    for 1 March would fall (exempt learners get no reminders): back on 25 Feb with 4 days left the
    learner gets the 7-day reminder for the new date, then the 1-day one. Before the fix only the
    1-day reminder came, the 7-day band being marked as done for the old date."""
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    nights(dt.date(2026, 12, 15), dt.date(2026, 12, 26), only=["exemption_returns", "due_reminders"])
    assert [days for _, _, days in reminders(assignment)] == [14, 7]
    ExemptionFactory(
        learner=learner, starts_on=dt.date(2026, 12, 27), ends_on=dt.date(2027, 2, 24), reason="parental_leave"
    )

    nights(dt.date(2026, 12, 27), NEW_DUE, only=["exemption_returns", "due_reminders"])

    assignment.refresh_from_db()
    assert assignment.due_date == NEW_DUE
    assert reminders(assignment)[2:] == [
        ("2027-03-01", f"reminder:{assignment.pk}:20270301:7", 4),
        ("2027-03-01", f"reminder:{assignment.pk}:20270301:1", 1),
    ]
    reminded = EscalationEvent.objects.filter(assignment=assignment, kind="reminded").order_by("pk")
    assert [e.reason for e in reminded][2:] == [
        "Reminder: due on 1 Mar 2027 (4 days left).",
        "Reminder: due on 1 Mar 2027 (1 day left).",
    ]


@pytest.mark.parametrize("how", ["save", "update", "bulk_update"])
def test_every_reminder_comes_again_for_a_due_date_an_admin_moves(team, course, policy, how):
    """An admin moves the due date (Django admin form: a model save; or any bulk write) before the
    14-day reminder of the new date: the 14-, 7- and 1-day reminders all come for 1 March."""
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    nights(dt.date(2026, 12, 15), dt.date(2026, 12, 26), only=["due_reminders"])
    assert [days for _, _, days in reminders(assignment)] == [14, 7]

    if how == "save":
        moved = Assignment.objects.get(pk=assignment.pk)  # the markers as loaded: saved back unchanged
        moved.due_date = NEW_DUE
        moved.save()
    elif how == "update":
        Assignment.objects.filter(pk=assignment.pk).update(due_date=NEW_DUE)
    else:
        assignment.due_date = NEW_DUE
        Assignment.objects.bulk_update([assignment], ["due_date"])
    assert Assignment.objects.filter(pk=assignment.pk, reminded_days=None, ladder_days=None).exists()

    nights(dt.date(2027, 2, 14), NEW_DUE, only=["due_reminders"])

    assert reminders(assignment)[2:] == [
        ("2027-03-01", f"reminder:{assignment.pk}:20270301:14", 14),
        ("2027-03-01", f"reminder:{assignment.pk}:20270301:7", 7),
        ("2027-03-01", f"reminder:{assignment.pk}:20270301:1", 1),
    ]


def test_a_save_that_keeps_the_deadline_keeps_the_progress(team, course, policy):
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    run_due_reminders(as_of=at(DUE - dt.timedelta(days=7)))
    moved = Assignment.objects.get(pk=assignment.pk)
    moved.extra_attempts = 1
    moved.save()
    assert Assignment.objects.get(pk=assignment.pk).reminded_days == 7
    assert run_due_reminders(as_of=at(DUE - dt.timedelta(days=6)))["notifications"] == 0


def test_the_ladder_starts_again_for_a_retake_deadline(team, course, policy):
    """Overdue since 31 Dec, steps 1 and 7 taken; attempts run out and a retake deadline of 20 Jan
    is given: the ladder is quiet until it passes, then takes each step again for the new deadline."""
    director, lead, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=8)))
    assert Assignment.objects.get(pk=assignment.pk).ladder_days == 7
    retake = dt.date(2027, 1, 20)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.FAILED, retake_deadline=retake)

    assert run_overdue_ladder(as_of=at(retake))["notifications"] == 0  # the deadline day is not late
    run_overdue_ladder(as_of=at(retake + dt.timedelta(days=1)))
    run_overdue_ladder(as_of=at(retake + dt.timedelta(days=7)))
    run_overdue_ladder(as_of=at(retake + dt.timedelta(days=14)))

    to_manager = Notification.objects.filter(assignment=assignment, recipient=lead, kind="escalation").order_by("pk")
    assert [(n.context["due_date"], n.context["days_overdue"], n.context["level"]) for n in to_manager] == [
        ("2026-12-31", 8, 1),
        ("2026-12-31", 8, 2),
        ("2027-01-20", 1, 1),
        ("2027-01-20", 7, 2),
        ("2027-01-20", 14, 3),
    ]
    letter = WarningLetter.objects.get(assignment=assignment)
    assert (letter.deadline_missed, letter.reference) == (retake, f"WL-{assignment.pk}-14-20270120")


def test_a_warning_letter_is_issued_once_for_each_deadline(team, course, policy):
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=14)))
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=15)))
    Assignment.objects.filter(pk=assignment.pk).update(due_date=NEW_DUE)
    run_overdue_ladder(as_of=at(NEW_DUE + dt.timedelta(days=14)))
    run_overdue_ladder(as_of=at(NEW_DUE + dt.timedelta(days=20)))

    letters = WarningLetter.objects.filter(assignment=assignment).order_by("deadline_missed")
    assert [(w.deadline_missed, w.step_days_overdue) for w in letters] == [(DUE, 14), (NEW_DUE, 14)]
    learner_letters = Notification.objects.filter(assignment=assignment, kind="warning_letter", recipient=learner)
    assert learner_letters.count() == 2


def test_the_deadline_trigger_is_put_back_after_a_table_rebuild(team, course, policy):
    """SQLite drops a table's triggers when a migration rebuilds the table; after every migrate
    the trigger is created again (idempotent on both databases)."""
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER assignment_deadline_moved")
    ensure_deadline_trigger(connection)
    ensure_deadline_trigger(connection)
    Assignment.objects.filter(pk=assignment.pk).update(reminded_days=7, ladder_days=14)
    Assignment.objects.filter(pk=assignment.pk).update(due_date=NEW_DUE)
    assert Assignment.objects.filter(pk=assignment.pk, reminded_days=None, ladder_days=None).exists()


# Item 27: the day an admin types, the day a step fires and the number in its messages agree.


def test_a_step_at_day_7_fires_7_days_after_the_deadline_and_says_7_days(team, course, policy, settings):
    director, lead, (learner, *_) = team
    due = dt.date(2026, 3, 20)
    assign(learner, course, due=due)
    run_overdue_ladder(as_of=at(due + dt.timedelta(days=1)))  # day 1, the first day overdue
    mail.outbox.clear()
    Notification.objects.update(status=Notification.Status.SENT)

    assert run_overdue_ladder(as_of=at(due + dt.timedelta(days=6)))["notifications"] == 0
    run_overdue_ladder(as_of=at(due + dt.timedelta(days=7)))
    run_dispatch(as_of=timezone.now() + dt.timedelta(minutes=1))

    to_director = [m for m in mail.outbox if m.to == [director.email]]
    assert len(to_director) == 1
    assert "due 20 Mar 2026, 7 days overdue (escalation step 2)." in to_director[0].body
    to_learner = [m for m in mail.outbox if m.to == [learner.email]]
    assert "was due on 20 Mar 2026 and is 7 days overdue." in to_learner[0].body
    event = EscalationEvent.objects.get(kind="escalated", level=2)
    assert event.reason.startswith("7 days past the deadline of 20 Mar 2026: the second escalation step told")


def test_the_warning_letter_states_the_days_overdue_of_its_step(team, course, policy):
    import subprocess

    _, _, (learner, *_) = team
    due = dt.date(2026, 3, 20)
    assignment = assign(learner, course, due=due)
    run_overdue_ladder(as_of=at(due + dt.timedelta(days=14)))
    letter = WarningLetter.objects.get(assignment=assignment)
    assert letter.step_days_overdue == 14 and letter.deadline_missed == due

    from escalation.letters import warning_letter_pdf

    text = subprocess.run(["pdftotext", "-", "-"], input=warning_letter_pdf(letter), capture_output=True).stdout
    assert "14 days overdue" in " ".join(text.decode().split())


def test_the_editor_says_which_day_is_the_first_day_overdue(client, policy):
    client.force_login(AdminFactory())
    page = client.get(reverse("escalation:policy_edit", args=[policy.pk])).content.decode()
    assert "Day 1 is the first day overdue: the day after the deadline." in page
    assert "A step at day 7 fires 7 days after the deadline" in page


def test_the_default_ladder_counts_from_day_one(policy):
    assert list(policy.steps.order_by("days_overdue").values_list("days_overdue", flat=True)) == [1, 7, 14]


def test_a_day_zero_step_becomes_day_one_and_is_not_taken_twice(team, course):
    """Existing installs: a step saved at day 0 fired on the first day overdue; it becomes day 1,
    and the assignments that took it are marked as having taken day 1."""
    _, _, (learner, other, *_) = team
    strict = EscalationPolicy.objects.create(course_code=course.code, name="Strict", reminder_days=[3])
    EscalationStep.objects.create(policy=strict, days_overdue=0, notify_manager=True)
    EscalationStep.objects.create(policy=strict, days_overdue=5, notify_manager=True)
    taken = assign(learner, course, due=DUE)
    Assignment.objects.filter(pk=taken.pk).update(ladder_days=0)
    migration = importlib.import_module("escalation.migrations.0006_step_days_and_letters_per_deadline")

    migration.steps_from_day_one(apps, None)

    assert sorted(strict.steps.values_list("days_overdue", flat=True)) == [1, 5]
    assert Assignment.objects.get(pk=taken.pk).ladder_days == 1
    assert run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=2)))["notifications"] == 0
