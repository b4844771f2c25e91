"""Emails and notifications link to what they are about (issue 13 items 10 and 11).

Every kind of email is written by the services and workflows that write it in real use; each
item's link is an absolute address on the site's own address (``SITE_URL``), resolves to the
page of the right object, and opens (200) for the person it was sent to. The notifications page
links the same way, labels say what happened in words, the menu counts what is unread, and a
learner hears once that they passed or that a training was withdrawn.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from itertools import groupby
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import resolve, reverse

from assignments.boosters.models import BoosterQuestion
from assignments.boosters.tests.factories import make_programme
from assignments.cpd.services import external_learning_return, external_learning_submit
from assignments.models import Assignment, Attempt, AttemptAnswer, Completion
from assignments.notices import assignment_notice_send
from assignments.services.archive import assignment_archive, assignment_reassign
from assignments.services.assign import DueMode, DueSpec
from assignments.services.completions import completion_create_from_attempt, completion_record
from assignments.signals import assignment_archived, attempt_failed, attempts_exhausted
from courses.tests.factories import AttemptFactory, CompletionFactory, make_course
from escalation.dispatch import render_message, run_dispatch
from escalation.models import EscalationPolicy, EscalationStep, Notification, ReviewSession
from escalation.recognition.models import Badge
from escalation.recognition.services import well_done_send
from escalation.recognition.workflow import run_recognition
from escalation.tests.conftest import assign, at
from escalation.workflows.boosters import run_boosters
from escalation.workflows.digests import run_checkins_and_digests
from escalation.workflows.overdue import run_overdue_ladder
from escalation.workflows.recertification import run_recertification
from escalation.workflows.refreshers import run_refresher_offers
from escalation.workflows.reminders import run_due_reminders
from lms.tests.factories import UserFactory
from reports.tests import boosters_data

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)  # a Monday
SITE = "http://lms.example.test:8765"
Kind = Notification.Kind

# Kinds added for issue 17, each covered by its feature's own tests until it joins the scenario
# here; a feature removes its line once its kind is in the every_kind fixture.
ISSUE_17_KINDS_TESTED_ELSEWHERE: set[str] = set()


def _failed_attempt(assignment, number: int) -> Attempt:
    attempt = AttemptFactory(
        assignment=assignment,
        number=number,
        status=Attempt.Status.SUBMITTED,
        submitted_at=at(DAY, 10),
        score=40,
        passed=False,
    )
    for question in attempt.quiz.questions.all():
        AttemptAnswer.objects.create(attempt=attempt, question=question, is_correct=False)
    return attempt


@pytest.fixture
def every_kind(settings, django_capture_on_commit_callbacks):
    """One organisation through a month: every kind of message is written by its own code."""
    settings.SITE_URL = SITE
    director = UserFactory(first_name="Dana", email="director@example.com")
    lead = UserFactory(first_name="Lee", manager=director, email="lead@example.com")
    sean = UserFactory(first_name="Sean", manager=lead, email="sean@example.com")
    ann = UserFactory(first_name="Ann", manager=lead, email="ann@example.com")
    course = make_course(questions=2, modules=1, title="Data protection", max_attempts=1)
    policy = EscalationPolicy.objects.create(course_code=course.code, name="Strict", reminder_days=[7])
    EscalationStep.objects.create(
        policy=policy, days_overdue=1, notify_manager=True, notify_managers_manager=True, warning_letter=True
    )
    failing = assign(sean, course, due=DAY + dt.timedelta(days=20))
    late = assign(ann, course, due=DAY + dt.timedelta(days=5))
    renewal = make_course(questions=1, title="Fire safety", recertification_months=12)
    done = assign(sean, renewal, due=DAY, status=Assignment.Status.COMPLETED)
    CompletionFactory(
        learner=sean, course=renewal, assignment=done, completed_at=at(DAY), expires_on=DAY + dt.timedelta(days=40)
    )
    ReviewSession.objects.create(
        title="Review", starts_at=at(DAY + dt.timedelta(days=3), 14), ends_at=at(DAY + dt.timedelta(days=3), 15)
    )
    with time_machine.travel(at(DAY, 9), tick=False):
        assignment_notice_send(assignments=[failing, late], dispatch_soon=False)
        run_due_reminders(as_of=at(DAY))
    with time_machine.travel(at(DAY, 10), tick=False):
        attempt_failed.send(sender=Attempt, attempt=_failed_attempt(failing, 1), assignment=failing)
        Assignment.objects.filter(pk=failing.pk).update(status=Assignment.Status.FAILED, failed_at=at(DAY, 10))
        failing.refresh_from_db()
        attempts_exhausted.send(sender=Assignment, assignment=failing, attempt=None)
    later = DAY + dt.timedelta(days=10)
    with time_machine.travel(at(later, 3), tick=False):
        run_overdue_ladder(as_of=at(later))
        run_recertification(as_of=at(later))
    monday = DAY + dt.timedelta(days=14)
    with time_machine.travel(at(monday, 3), tick=False):
        run_checkins_and_digests(as_of=at(monday))
    with time_machine.travel(at(monday, 11), tick=False), django_capture_on_commit_callbacks(execute=True):
        passed = assign(ann, make_course(questions=1, title="Safe lifting"), due=monday)
        attempt = AttemptFactory(
            assignment=passed,
            number=1,
            status=Attempt.Status.SUBMITTED,
            submitted_at=at(monday, 11),
            score=100,
            passed=True,
        )
        completion_create_from_attempt(attempt=attempt)
        assignment_archive(assignment=late, reason=Assignment.ArchiveReason.ASSIGNED_IN_ERROR, actor=director)
    boosted = monday + dt.timedelta(days=1)
    with time_machine.travel(at(boosted, 1), tick=False):
        # A booster question (issue 17) the day after Ann passed: its page is her booster page.
        make_programme(passed.course, schedule=[1], from_quiz=1, written=0)
        run_boosters(as_of=at(boosted, 1))
    with time_machine.travel(at(monday, 12), tick=False):
        # External learning for Ann's CPD record (issue 17): her manager is asked, and returns it.
        cpd_entry = external_learning_submit(
            learner=ann, title="First aid", provider="Red Cross", completed_on=monday, hours=Decimal("3")
        )
        external_learning_return(entry=cpd_entry, actor=lead, submission=1, comment="Add the certificate.")
    with time_machine.travel(at(monday, 13), tick=False):
        # A badge for Safe lifting, awarded by the nightly rules, and the lead's well done (issue 17).
        # (made before the pass it recognises: a badge made later recognises old passes quietly)
        badge = Badge.objects.create(
            name="Safe lifter", description="Lifts safely.", criteria="course_passed", course_code=passed.course_code
        )
        Badge.objects.filter(pk=badge.pk).update(created_at=at(monday - dt.timedelta(days=60), 9))
        run_recognition(as_of=at(monday, 13))
        well_done_send(sender=lead, learner=ann, completion=Completion.objects.get(assignment=passed), message="Nice")
    refresher = boosted + dt.timedelta(days=3)
    with time_machine.travel(at(refresher, 3), tick=False):
        # Ann answers three more boosters, one right: a refresher of Safe lifting is offered (issue 17).
        completion = Completion.objects.get(assignment=passed)
        asked = BoosterQuestion.objects.get(programme__course_code=passed.course_code)
        for step, right in ((2, False), (3, False), (4, True)):
            boosters_data.answer(completion, asked, step, right, at=at(boosted + dt.timedelta(days=step - 1), 9))
        run_refresher_offers(as_of=at(refresher, 3))
    return {"director": director, "lead": lead, "sean": sean, "ann": ann, "passed": passed, "late": late}


def _expected(row: Notification) -> list[tuple[str, dict]]:
    """The pages (URL name, arguments) an item's links must lead to."""
    context = row.context
    course_page = ("player_course", {"assignment_pk": row.assignment_id})
    if row.kind == Kind.ATTEMPT_FAILED:
        return [("player_result", {"attempt_pk": context["attempt_id"]})]
    if row.kind == Kind.COURSE_PASSED:
        completion = Completion.objects.get(assignment_id=row.assignment_id)
        return [
            ("certificate_download", {"pk": completion.pk}),
            ("player_result", {"attempt_pk": completion.attempt_id}),
        ]
    if row.kind == Kind.WITHDRAWN:
        return [("assignments:my_history", {})]
    if row.kind in (Kind.MANAGER_ATTEMPT_FAILED, Kind.MANAGER_ATTEMPTS_EXHAUSTED):
        return [("person_detail", {"pk": row.assignment.learner_id})]
    if row.kind == Kind.ESCALATION or (row.kind == Kind.WARNING_LETTER and context.get("is_copy")):
        return [("escalation:case_file", {"assignment_pk": row.assignment_id})]
    if row.kind == Kind.WARNING_LETTER:
        return [("escalation:warning_letter_pdf", {"reference": context["reference"]})]
    if row.kind in (Kind.CHECKIN, Kind.DIGEST):
        return [("reports_team_dashboard", {})]
    if row.kind in (Kind.CPD_SUBMITTED, Kind.CPD_DECIDED):
        return [("cpd:entry", {"pk": context["entry_id"]})]
    if row.kind in (Kind.BADGE_EARNED, Kind.WELL_DONE):
        return [("recognition:mine", {})]
    if row.kind == Kind.BOOSTER:
        return [("boosters:question", {"pk": context["delivery_id"]})]
    return [course_page]


def test_every_email_links_each_item_to_its_own_page_on_the_sites_address_and_the_recipient_may_open_it(
    every_kind, client
):
    rows = list(Notification.objects.select_related("recipient", "assignment").order_by("recipient_id", "kind", "pk"))
    kinds_checked = set()
    for (recipient, kind), group in groupby(rows, key=lambda r: (r.recipient, r.kind)):
        group = list(group)
        message = render_message(recipient, kind, group)
        links = re.findall(r"https?://[^\s\"<>]+", message.body)
        assert links, (kind, message.body)
        assert all(link.startswith(SITE + "/") for link in links), (kind, links)
        html = message.alternatives[0][0]
        paths = {link.removeprefix(SITE) for link in links}
        for row in group:
            for url_name, kwargs in _expected(row):
                path = reverse(url_name, kwargs=kwargs)
                assert path in paths, (kind, path, message.body)
                match = resolve(path)
                assert (match.view_name, match.kwargs) == (url_name, kwargs)
                assert f'href="{SITE}{path}"' in html, (kind, "the HTML part links it too")
                client.force_login(recipient)
                assert client.get(path).status_code == 200, (kind, recipient.email, path)
        kinds_checked.add(kind)
    # The welcome and password-reset emails link to their set-password pages (lms/tests/test_password_reset.py).
    ours = set(Kind.values) - {"invitation", "password_reset"} - ISSUE_17_KINDS_TESTED_ELSEWHERE
    assert ours <= kinds_checked, ours - kinds_checked


def test_the_dispatcher_sends_those_links_on_the_sites_address(every_kind, mailoutbox):
    run_dispatch(as_of=at(DAY + dt.timedelta(days=15)))
    assert mailoutbox
    for message in mailoutbox:
        links = re.findall(r"https?://[^\s\"<>]+", message.body)
        assert links and all(link.startswith(SITE + "/") for link in links), (message.subject, links)
        # Never the site root alone where the message is about something with a page of its own.
        assert SITE + "/" not in links, (message.subject, message.body)


def test_make_run_on_another_port_gives_emails_that_port():
    root = Path(django_settings.BASE_DIR)
    dry = subprocess.run(["make", "-n", "run", "PORT=8765"], cwd=root, capture_output=True, text=True, check=True)
    server = next(line for line in dry.stdout.splitlines() if "runserver" in line)
    assert server.startswith("SITE_URL=http://127.0.0.1:8765 ") and server.endswith("runserver 127.0.0.1:8765")
    seed = next(line for line in dry.stdout.splitlines() if "seed_demo" in line)
    assert seed.startswith("SITE_URL=http://127.0.0.1:8765 ")


def test_seed_demo_without_site_url_links_to_where_the_server_will_listen(settings, monkeypatch):
    from lms.management.commands.seed_demo import Command

    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr("lms.management.commands.seed_demo.seed_demo", lambda **kw: _NoOrg())
    Command().handle(learners=1, seed=1, url="http://127.0.0.1:8765/")
    assert django_settings.SITE_URL == "http://127.0.0.1:8765"
    monkeypatch.setenv("SITE_URL", "https://training.example.org")
    settings.SITE_URL = "https://training.example.org"
    Command().handle(learners=1, seed=1, url="http://127.0.0.1:8765/")
    assert django_settings.SITE_URL == "https://training.example.org"


class _NoOrg:
    learners, team_leaders, logins = [], [], []


# --- item 11: the notifications page and menu -----------------------------------------------------


def test_kind_labels_are_words_not_internal_roles():
    for label in Kind.labels:
        assert "(learner)" not in label and "(manager" not in label
    assert Kind.ATTEMPT_FAILED.label == "Your attempt did not pass"


def test_each_notification_links_to_its_subject_and_opens_for_its_reader(every_kind, client):
    for person in ("sean", "ann", "lead", "director"):
        user = every_kind[person]
        client.force_login(user)
        body = client.get(reverse("escalation:notifications")).content.decode()
        rows = Notification.objects.filter(recipient=user).select_related("assignment")
        assert rows
        for row in rows:
            url_name, kwargs = _expected(row)[-1] if row.kind == Kind.COURSE_PASSED else _expected(row)[0]
            path = reverse(url_name, kwargs=kwargs)
            assert f'href="{path}" data-testid="notification-link">{row.get_kind_display()}' in body, (row.kind, path)
            assert client.get(path).status_code == 200, (row.kind, path)
    assert "Failed attempt (learner)" not in body


def test_the_menu_counts_unread_notifications_for_eyes_and_screen_readers_and_opening_the_list_reads_them(
    client, every_kind
):
    ann = every_kind["ann"]
    unread = Notification.objects.filter(recipient=ann, read_at=None).count()
    assert unread >= 3
    client.force_login(ann)
    home = client.get(reverse("home")).content.decode()
    item = re.search(r'<a class="nav-link[^"]*" href="/escalation/notifications/"[^>]*>(.*?)</a>', home).group(1)
    assert item == (
        f'Notifications <span class="badge rounded-pill text-bg-light" aria-hidden="true">{unread}</span>'
        f'<span class="visually-hidden">, {unread} unread</span>'
    )
    listing = client.get(reverse("escalation:notifications"))
    assert len(listing.context["unread"]) == unread  # marked "new" on this showing
    assert Notification.objects.filter(recipient=ann, read_at=None).count() == 0
    after = client.get(reverse("home")).content.decode()
    assert "unread</span>" not in after


def test_a_learner_is_told_once_that_an_assignment_archived_in_error_is_withdrawn(
    django_capture_on_commit_callbacks, mailoutbox
):
    learner = UserFactory(first_name="Kim")
    course = make_course(questions=1, title="Anti-bribery")
    assignment = assign(learner, course, due=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_archive(assignment=assignment, reason=Assignment.ArchiveReason.ASSIGNED_IN_ERROR)
    with django_capture_on_commit_callbacks(execute=True):  # a replayed signal tells nobody twice
        assignment_archived.send(
            sender=Assignment, assignment_ids=[assignment.pk], reason=Assignment.ArchiveReason.ASSIGNED_IN_ERROR
        )
    told = Notification.objects.filter(kind=Kind.WITHDRAWN)
    assert list(told.values_list("recipient_id", "assignment_id")) == [(learner.pk, assignment.pk)]
    assert [m.subject for m in mailoutbox] == ["Withdrawn: you no longer need to complete Anti-bribery"]
    assert "Anti-bribery has been withdrawn (assigned in error)" in mailoutbox[0].body


def test_a_reassignment_is_not_a_withdrawal(django_capture_on_commit_callbacks):
    learner = UserFactory()
    course = make_course(questions=1)
    assignment = assign(learner, course, due=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reassign(
            assignment=assignment,
            due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=30),
            reason=Assignment.ArchiveReason.OTHER,
            notify=False,
        )
    assert not Notification.objects.filter(kind=Kind.WITHDRAWN).exists()


def test_a_learner_is_told_once_that_they_passed_and_their_certificate_is_issued(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.SITE_URL = SITE
    learner = UserFactory(first_name="Kim")
    course = make_course(questions=1, title="Anti-bribery")
    assignment = assign(learner, course, due=DAY)
    attempt = AttemptFactory(
        assignment=assignment,
        number=1,
        status=Attempt.Status.SUBMITTED,
        submitted_at=at(DAY, 9),
        score=100,
        passed=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        completion = completion_create_from_attempt(attempt=attempt)
    with django_capture_on_commit_callbacks(execute=True):
        completion_create_from_attempt(attempt=attempt)  # idempotent: no second pass
    told = Notification.objects.get(kind=Kind.COURSE_PASSED)
    assert (told.recipient_id, told.assignment_id) == (learner.pk, assignment.pk)
    assert [m.subject for m in mailoutbox] == ["You passed Anti-bribery: your certificate is ready"]
    body = mailoutbox[0].body
    assert completion.certificate_number in body
    assert f"{SITE}{reverse('certificate_download', args=[completion.pk])}" in body


def test_the_passed_notice_names_the_course_in_the_language_of_the_attempt(
    mailoutbox, django_capture_on_commit_callbacks
):
    """A learner who passed in Spanish reads the Spanish title, as on their certificate (issue 16's
    leftover: the notice named the course in its main language)."""
    from courses.translations.tests.factories import translate_all

    learner = UserFactory(first_name="Ana", locale="es")
    course = make_course(questions=1, title="Anti-bribery")
    translate_all(course, "es", prefix="ES ")
    assignment = assign(learner, course, due=DAY)
    attempt = AttemptFactory(
        assignment=assignment,
        number=1,
        status=Attempt.Status.SUBMITTED,
        submitted_at=at(DAY, 9),
        score=100,
        passed=True,
        language="es",
    )
    with django_capture_on_commit_callbacks(execute=True):
        completion_create_from_attempt(attempt=attempt)
    told = Notification.objects.get(kind=Kind.COURSE_PASSED)
    assert told.context["course"] == "ES Anti-bribery"
    assert "ES Anti-bribery" in mailoutbox[0].subject


def test_an_imported_completion_sends_nothing(django_capture_on_commit_callbacks):
    learner = UserFactory()
    course = make_course(questions=1)
    with django_capture_on_commit_callbacks(execute=True):
        completion_record(
            learner=learner, course=course, completed_at=at(DAY), score=80, source=Completion.Source.IMPORTED
        )
    assert not Notification.objects.exists()


@pytest.mark.parametrize("count", [3, 25])
def test_the_notifications_page_links_every_row_in_a_fixed_number_of_queries(client, count, django_assert_num_queries):
    learner = UserFactory()
    assignments = [assign(learner, make_course(questions=1), due=DAY) for _ in range(count)]
    from escalation.outbox import Outgoing, enqueue

    enqueue([Outgoing(learner.pk, Kind.REMINDER, f"r:{a.pk}", {"course": "Course"}, a.pk) for a in assignments])
    client.force_login(learner)
    # Session, user, the page's count and rows (with each learner), marking them read, and the
    # menu's unread count: the same for 3 notifications as for 25.
    with django_assert_num_queries(7):
        body = client.get(reverse("escalation:notifications")).content.decode()
    assert body.count('data-testid="notification-link"') == count
