"""Every message is in the recipient's language and time zone (issue 16): not the sender's, the
request's, the nightly job's or the server's.

The language is checked against the catalogues themselves (``locale/<lang>/LC_MESSAGES/django.po``,
read with polib): the text a message shows must be the catalogue's translation of a known msgid,
and differ from the English. The catalogues are compiled before the run
(``manage.py compilemessages``); a test here fails while a translation it reads is missing.
Dates are checked in the recipient's locale format (``formats.date_format`` under that language,
which is what the product uses, ``lms/formats``), times in the recipient's zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.utils import formats, timezone, translation

from assignments.models import Assignment, Attempt
from assignments.services.archive import assignment_archive
from assignments.services.attempts import attempt_start, attempt_submit
from assignments.signals import attempt_failed
from courses.models import Quiz
from courses.tests.factories import AssignmentFactory, AttemptFactory, ExemptionFactory, answers_for, make_course
from escalation.dispatch import run_dispatch
from escalation.models import ReviewSession, WarningLetter, WebhookDelivery, WebhookSubscription
from escalation.reviews import review_book
from escalation.tests.conftest import assign, at
from escalation.webhooks.services import webhook_endpoint_create
from escalation.workflows.digests import run_checkins_and_digests
from escalation.workflows.overdue import run_overdue_ladder
from escalation.workflows.reminders import run_due_reminders
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.recipient_language import (
    LANGUAGES,
    ZONES,
    assert_from_start_edge,
    assert_in_pdf,
    catalogue,
    local_day,
    pdf_text,
    translated,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)  # a Monday


def person(language: str, **kwargs):
    return UserFactory(locale=language, timezone=ZONES[language], **kwargs)


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def the_one_email_to(user):
    found = [m for m in mail.outbox if m.to == [user.email]]
    assert len(found) == 1, [m.subject for m in found]
    return found[0]


def assert_root_element(html: str, language: str) -> None:
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html


def failed_attempt(assignment, number: int = 1) -> Attempt:
    return AttemptFactory(
        assignment=assignment,
        number=number,
        status=Attempt.Status.SUBMITTED,
        submitted_at=at(DAY, 10),
        score=40,
        passed=False,
    )


@pytest.fixture
def english_request():
    """What a web request of an English-speaking admin in London has active while it triggers a
    message: nothing of it may reach the recipient."""
    with translation.override("en-gb"), timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        yield


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_is_in_the_learners_language_with_their_date_format(language, policy):
    learner = person(language, first_name="Kim")
    course = make_course(title="Data protection")
    due = DAY + dt.timedelta(days=7)
    assign(learner, course, due=due)

    with time_machine.travel(at(DAY, 2), tick=False), translation.override("en-gb"):
        run_due_reminders(as_of=at(DAY))
        run_dispatch()

    message = the_one_email_to(learner)
    due_text = local_day(language, due)
    assert message.subject == translated(language, "Reminder: %(course)s is due on %(due)s") % {
        "course": "Data protection",
        "due": due_text,
    }
    assert due_text != local_day("en-gb", due) or language == "en-gb"
    assert due_text in message.body
    assert translated(language, "Hello %(name)s,") % {"name": "Kim"} in message.body
    html = html_of(message)
    assert_root_element(html, language)
    assert due_text in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_managers_failure_notice_is_in_the_managers_language_not_the_admins(
    language, policy, english_request, django_capture_on_commit_callbacks
):
    manager = person(language, first_name="Robin")
    learner_language = "fr" if language != "fr" else "de"
    learner = person(learner_language, first_name="Sam", last_name="Lee", manager=manager)
    course = make_course(title="Fire safety")
    assignment = assign(learner, course, due=DAY + dt.timedelta(days=20))

    # An English admin's request marks the attempt; the notices go out at commit, in that request.
    with time_machine.travel(at(DAY, 10), tick=False), django_capture_on_commit_callbacks(execute=True):
        attempt_failed.send(sender=Attempt, attempt=failed_attempt(assignment), assignment=assignment)
        run_dispatch()

    to_manager = the_one_email_to(manager)
    assert to_manager.subject == translated(language, "%(learner)s did not pass %(course)s") % {
        "learner": "Sam Lee",
        "course": "Fire safety",
    }
    assert translated(language, "Hello %(name)s,") % {"name": "Robin"} in to_manager.body
    assert local_day(language, assignment.due_date) in to_manager.body
    assert_root_element(html_of(to_manager), language)
    # The learner's own notice, from the same request, is in the learner's language.
    to_learner = the_one_email_to(learner)
    assert to_learner.subject == translated(learner_language, "%(course)s: not passed this time") % {
        "course": "Fire safety"
    }
    assert_root_element(html_of(to_learner), learner_language)


def test_a_french_learners_german_manager_gets_the_failure_notice_in_german(policy, english_request):
    manager = person("de", first_name="Jonas")
    learner = person("fr", first_name="Élodie", last_name="Martin", manager=manager)
    assignment = assign(learner, make_course(title="Anti-bribery"), due=DAY + dt.timedelta(days=20))

    with time_machine.travel(at(DAY, 10), tick=False):
        attempt_failed.send(sender=Attempt, attempt=failed_attempt(assignment), assignment=assignment)
        run_dispatch()

    to_manager = the_one_email_to(manager)
    assert to_manager.subject == translated("de", "%(learner)s did not pass %(course)s") % {
        "learner": "Élodie Martin",
        "course": "Anti-bribery",
    }
    assert translated("fr", "%(course)s: not passed this time") not in to_manager.subject
    assert the_one_email_to(learner).subject == translated("fr", "%(course)s: not passed this time") % {
        "course": "Anti-bribery"
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_digest_listing_people_from_three_countries_is_in_the_managers_language(language, policy):
    manager = person(language, first_name="Alex")
    course = make_course(title="Information security")
    team = [
        person("fr", first_name="Chloé", manager=manager),
        person("de", first_name="Lukas", manager=manager),
        person("es", first_name="Lucía", manager=manager),
    ]
    assign(team[0], course, due=DAY + dt.timedelta(days=3), status=Assignment.Status.COMPLETED)
    late = assign(team[1], course, due=DAY - dt.timedelta(days=2))
    assign(team[2], course, due=DAY + dt.timedelta(days=3))
    ExemptionFactory(learner=team[2], starts_on=DAY - dt.timedelta(days=1), reason="sick_leave")

    with time_machine.travel(at(DAY, 3), tick=False), translation.override("en-gb"):
        run_checkins_and_digests(as_of=at(DAY))
        run_dispatch()

    figures = {"date": local_day(language, DAY), "completed": 1, "outstanding": 1}
    subject = translated(
        language, "Team training digest for %(date)s: %(completed)d completed, %(outstanding)d outstanding"
    )
    [digest] = [m for m in mail.outbox if m.to == [manager.email] and m.subject == subject % figures]
    assert translated(language, "Hello %(name)s,") % {"name": "Alex"} in digest.body
    assert local_day(language, late.due_date) in digest.body
    for member in team[1:]:
        assert member.first_name in digest.body
    assert_root_element(html_of(digest), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_review_invitation_shows_the_start_in_the_learners_zone_and_language(
    language, policy, english_request, django_capture_on_commit_callbacks
):
    learner = person(language, first_name="Noor")
    assignment = assign(learner, make_course(title="Data protection"), due=DAY + dt.timedelta(days=20))
    starts = dt.datetime(2026, 3, 5, 14, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    session = ReviewSession.objects.create(
        title="GDPR review", starts_at=starts, ends_at=starts + dt.timedelta(hours=1), capacity=5
    )

    # Booked by an English admin in London: the invitation goes out at commit, from their request.
    with time_machine.travel(at(DAY, 9), tick=False), django_capture_on_commit_callbacks(execute=True):
        review_book(session=session, assignment=assignment, actor=AdminFactory(locale="en-gb"))
    run_dispatch()

    message = the_one_email_to(learner)
    assert message.subject == translated(language, "Review session booked: %(session)s") % {"session": "GDPR review"}
    with translation.override(language):
        local_start = formats.date_format(timezone.localtime(starts, zoneinfo.ZoneInfo(ZONES[language])), "TIME_FORMAT")
    london_start = formats.date_format(starts, "TIME_FORMAT")
    assert local_start in message.body and local_start != london_start
    [(_name, ics, mimetype)] = message.attachments
    assert mimetype == "text/calendar"
    ics = ics.decode() if isinstance(ics, bytes) else ics
    summary = translated(language, "Review session: %(title)s") % {"title": "GDPR review"}
    assert f"SUMMARY;LANGUAGE={language}:" in ics
    assert summary.replace(",", "\\,").replace(";", "\\;") in "".join(line.lstrip() for line in ics.split("\r\n"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_warning_letter_pdf_is_in_the_learners_language_and_the_managers_copy_email_in_theirs(
    language, policy, settings
):
    settings.ORGANISATION_NAME = "Zephyrwood Trust"
    manager_language = "de" if language != "de" else "es"
    manager = person(manager_language, first_name="Kai")
    learner = person(language, first_name="Ines", manager=manager)
    due = dt.date(2026, 3, 20)
    assignment = assign(learner, make_course(title="Health and safety"), due=due)

    with time_machine.travel(at(due + dt.timedelta(days=14), 3), tick=False), translation.override("en-gb"):
        run_overdue_ladder(as_of=at(due + dt.timedelta(days=14)))
        run_dispatch()

    letter = WarningLetter.objects.get(assignment=assignment)
    to_learner = [m for m in mail.outbox if m.to == [learner.email] and m.attachments]
    assert len(to_learner) == 1
    [(filename, pdf, mimetype)] = to_learner[0].attachments
    assert filename == f"{letter.reference}.pdf" and mimetype == "application/pdf"
    text = pdf_text(pdf)
    assert_in_pdf(translated(language, "Course"), text, language)
    assert_in_pdf(local_day(language, letter.new_deadline), text, language)
    assert local_day("en-gb", letter.new_deadline) not in text
    # Laid out from the start edge: the organisation's name at the right for Arabic.
    assert_from_start_edge(pdf, "Zephyrwood", language)
    assert_root_element(html_of(to_learner[0]), language)

    copies = [m for m in mail.outbox if m.to == [manager.email] and m.attachments]
    assert len(copies) == 1
    copy = copies[0]
    assert (
        translated(manager_language, "Copy: formal warning letter for %(learner)s")
        % {"learner": learner.get_full_name()}
        in copy.subject
    )
    assert_root_element(html_of(copy), manager_language)
    # The letter it carries is the learner's, in the learner's language.
    [(_filename, copy_pdf, _mimetype)] = copy.attachments
    assert_in_pdf(translated(language, "Course"), pdf_text(copy_pdf), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_withdrawn_course_says_why_in_the_learners_language_not_the_admins(
    language, policy, english_request, django_capture_on_commit_callbacks
):
    learner = person(language, first_name="Yara")
    assignment = assign(learner, make_course(title="Fire safety"), due=DAY + dt.timedelta(days=20))

    # An English admin withdraws it (assigned in error): the row is written in their request.
    with time_machine.travel(at(DAY, 11), tick=False), django_capture_on_commit_callbacks(execute=True):
        assignment_archive(assignment=assignment, reason=Assignment.ArchiveReason.ASSIGNED_IN_ERROR)
    run_dispatch()

    message = the_one_email_to(learner)
    reason = translated(language, "Assigned in error")
    assert reason in message.body
    assert "assigned in error" not in message.body.lower()
    assert_root_element(html_of(message), language)


def test_webhook_payloads_carry_no_language_whoever_triggers_them(settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    webhook_endpoint_create(
        name="HR warehouse",
        url="http://127.0.0.1:9/hook",
        events=[WebhookSubscription.Event.COMPLETION_RECORDED],
        actor=AdminFactory(),
    )
    payloads = []
    for language in ("en-gb", "fr"):
        course = make_course(questions=1, title="Fire safety")
        assignment = AssignmentFactory(learner=person(language), course=course)
        # A French request (a learner passing on a French page) and an English one.
        with translation.override(language), django_capture_on_commit_callbacks(execute=True):
            attempt = attempt_start(assignment=assignment, quiz=course.quizzes.get(kind=Quiz.Kind.FINAL))
            attempt_submit(attempt=attempt, answers=answers_for(attempt))
        payloads.append(WebhookDelivery.objects.get(payload__data__completion__assignment_id=assignment.pk).payload)

    def leaves(value, path=()):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from leaves(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from leaves(item, (*path, index))
        else:
            yield path, value

    english, french = (dict(leaves(payload)) for payload in payloads)
    assert english.keys() == french.keys()
    french_words = {entry.msgstr for entry in catalogue("fr").values() if len(entry.msgstr) > 3}
    assert not french_words & {value for value in french.values() if isinstance(value, str)}
    # The same words where they are not about the person or the time: codes, states, types.
    varying = ("id", "at", "email", "name", "number", "code", "url", "employee")
    same = {path: value for path, value in english.items() if not any(part in str(path[-1]) for part in varying)}
    assert {path: french[path] for path in same} == same
