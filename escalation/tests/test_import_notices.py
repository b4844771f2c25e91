"""Imports send no email themselves (issue 12 item 23): an import of 8,000 lines queued its 8,000
assignment notices and then sent them, one by one, inside the command. The notices wait in the
outbox; the dispatcher sends them apart, every email of a run over one mail connection."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command

from assignments.models import Assignment, AssignmentRule
from assignments.services.imports import import_run
from assignments.services.rules import rule_save
from courses.tests.factories import CourseFactory
from escalation.dispatch import run_dispatch
from escalation.models import Notification
from lms.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
BACKEND = f"{__name__}.SessionCountingBackend"


class SessionCountingBackend(locmem.EmailBackend):
    """The locmem backend, opening and closing sessions the way the SMTP backend does:
    ``send_messages`` on a closed connection opens a session for that call and closes it after."""

    sessions = 0
    fail_for: set[str] = set()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = None

    def open(self):
        if self.session is not None:
            return False
        type(self).sessions += 1
        self.session = type(self).sessions
        return True

    def close(self):
        self.session = None

    def send_messages(self, messages):
        opened = self.open()
        try:
            for message in messages:
                if set(message.to) & type(self).fail_for:
                    raise OSError("mail server dropped the connection")
            return super().send_messages(messages)
        finally:
            if opened:
                self.close()


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = BACKEND
    SessionCountingBackend.sessions = 0
    SessionCountingBackend.fail_for = set()
    return SessionCountingBackend


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_assignment_import_command_sends_no_email_and_dispatch_sends_them_over_one_connection(
    tmp_path, django_capture_on_commit_callbacks, counting_backend
):
    course = CourseFactory(code="HS-101")
    people = UserFactory.create_batch(25)
    path = tmp_path / "assignments.csv"
    path.write_text(
        "email,course_code,action,due_date\n" + "".join(f"{p.email},HS-101,assign,2026-06-30\n" for p in people)
    )

    # Whatever the import asks to run once it commits runs here, as it would in the command.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_assignments", str(path), stdout=io.StringIO())

    assert mail.outbox == []
    assert counting_backend.sessions == 0
    assert Assignment.objects.filter(course=course, source="upload").count() == 25
    queued = Notification.objects.filter(kind=Notification.Kind.ASSIGNED, status=Notification.Status.PENDING)
    assert sorted(queued.values_list("recipient_id", flat=True)) == sorted(p.pk for p in people)

    result = run_dispatch()

    assert result["emails_sent"] == 25
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert counting_backend.sessions == 1
    assert not Notification.objects.exclude(status=Notification.Status.SENT).exists()


def test_the_command_says_where_the_notices_went(tmp_path):
    CourseFactory(code="HS-101")
    person = UserFactory()
    path = tmp_path / "assignments.csv"
    path.write_text(f"email,course_code,action,due_date\n{person.email},HS-101,assign,\n")
    out = io.StringIO()

    call_command("import_assignments", str(path), stdout=out)

    assert "1 assignment notice is queued" in out.getvalue()
    assert "run_nightly --only dispatch" in out.getvalue()


def test_a_users_import_sends_no_email_for_the_training_its_rules_assign(django_capture_on_commit_callbacks):
    department = DepartmentFactory(name="Warehouse")
    rule_save(
        rule=AssignmentRule(
            name="Safety",
            course=CourseFactory(),
            department=department,
            starts_on=dt.date(2026, 1, 1),
            due_days=10,
            due_mode="from_assignment",
        )
    )
    data = (
        b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
        b"ann@example.com,Ann,A,,,Warehouse,,,\n"
        b"bob@example.com,Bob,B,,,Warehouse,,,\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = import_run(kind="users", data=data, dry_run=False)

    assert outcome.summary["result"]["rule_assignments"] == 2
    assert mail.outbox == []
    assert Notification.objects.filter(kind=Notification.Kind.ASSIGNED, status=Notification.Status.PENDING).count() == 2


def test_one_assignment_made_by_hand_is_still_sent_as_soon_as_it_commits(django_capture_on_commit_callbacks):
    from assignments.services.assign import DueMode, DueSpec, assignment_create

    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(course=CourseFactory(), learner=person, due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=30))

    assert [m.to for m in mail.outbox] == [[person.email]]


def test_a_failed_send_closes_the_connection_and_the_next_email_opens_a_new_one(counting_backend):
    course = CourseFactory(code="HS-101")
    people = sorted(UserFactory.create_batch(4), key=lambda p: p.pk)
    import_run(
        kind="assignments",
        data=("email,course_code,action,due_date\n" + "".join(f"{p.email},HS-101,assign,\n" for p in people)).encode(),
        dry_run=False,
    )
    assert Assignment.objects.filter(course=course).count() == 4
    counting_backend.fail_for = {people[1].email}

    result = run_dispatch()

    # Dispatch goes in recipient order: one session for the first two (the second fails), then a
    # new session for the other two.
    assert (result["emails_sent"], result["emails_failed"]) == (3, 1)
    assert counting_backend.sessions == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people if p != people[1])
    failed = Notification.objects.get(recipient=people[1])
    assert failed.status == Notification.Status.PENDING and "dropped the connection" in failed.last_error
