from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection

from assignments.models import Assignment, AssignmentRule, Completion
from assignments.services.imports import import_run, parse_users
from assignments.services.rules import rule_save
from courses.models import Course
from courses.tests.factories import AssignmentFactory, CompletionFactory, CourseFactory
from lms.models import Department, User
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_param_limit(monkeypatch):
    """Django assumes SQLite's old compile-time limit of 999 parameters and splits bulk inserts
    into batches; SQLite 3.32+ allows 32766. Using the real limit keeps query counts a property of
    the code, not of batch arithmetic (PostgreSQL never splits)."""
    if connection.vendor == "sqlite":
        monkeypatch.setattr(connection.features, "max_query_params", 32766)


USERS_HEADER = "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
ASSIGN_HEADER = "email,course_code,action,due_date\n"
COMPLETIONS_HEADER = "email,course_code,completed_at,score,certificate_number\n"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def users(*lines: str) -> bytes:
    return (USERS_HEADER + "\n".join(lines) + "\n").encode()


def errors_of(outcome) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in outcome.errors]


def test_users_are_created_and_managers_resolved_regardless_of_row_order():
    data = users(
        "ann@example.com,Ann,Report,E1,boss@example.com,Warehouse,Operative,2026-02-01,Europe/London",
        "boss@example.com,Bo,Boss,E2,,Operations,Head,2020-01-01,Europe/Berlin",
    )

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert outcome.ok and outcome.applied
    ann = User.objects.get(email="ann@example.com")
    assert ann.manager.email == "boss@example.com"
    assert (ann.department.name, ann.job_title, ann.hire_date, ann.timezone) == (
        "Warehouse",
        "Operative",
        dt.date(2026, 2, 1),
        "Europe/London",
    )
    assert not ann.has_usable_password()
    assert outcome.summary["result"]["created"] == 2
    assert set(Department.objects.values_list("name", flat=True)) >= {"Warehouse", "Operations"}


def test_existing_users_are_updated_by_email_case_insensitively():
    person = UserFactory(email="lee@example.com", first_name="Lee", job_title="Analyst")
    outcome = import_run(kind="users", data=users("LEE@Example.com,Lee,Learner,,,,Senior analyst,,"), dry_run=False)

    assert outcome.ok
    person.refresh_from_db()
    assert (person.last_name, person.job_title) == ("Learner", "Senior analyst")
    assert User.objects.count() == 1


def test_every_bad_line_is_listed_with_line_and_column_and_nothing_is_imported():
    UserFactory(email="existing@example.com", employee_id="TAKEN")
    data = users(
        "ok@example.com,Ok,Person,,,,,,",
        "not-an-email,Bad,Email,,,,,,",
        "ok@example.com,Dup,Licate,,,,,,",
        "date@example.com,Bad,Date,,,,,2026-13-01,",
        "tz@example.com,Bad,Zone,,,,,,Mars/Olympus",
        "mgr@example.com,Unknown,Manager,,ghost@example.com,,,,",
        "emp@example.com,Taken,Id,TAKEN,,,,,",
    )

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert errors_of(outcome) == [
        (3, "email"),
        (4, "email"),
        (5, "hire_date"),
        (6, "timezone"),
        (7, "manager_email"),
        (8, "employee_id"),
    ]
    assert "line 2" in outcome.errors[1].message
    assert not outcome.applied
    assert User.objects.count() == 1


def test_a_manager_cycle_inside_the_file_is_reported_on_each_line_of_the_loop():
    data = users(
        "a@example.com,A,A,,b@example.com,,,,",
        "b@example.com,B,B,,c@example.com,,,,",
        "c@example.com,C,C,,a@example.com,,,,",
        "d@example.com,D,D,,a@example.com,,,,",
    )

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert errors_of(outcome) == [(2, "manager_email"), (3, "manager_email"), (4, "manager_email")]
    assert "a@example.com → b@example.com → c@example.com → a@example.com" in outcome.errors[0].message
    assert not User.objects.exists()


def test_a_manager_cycle_against_existing_data_is_reported():
    boss = UserFactory(email="boss@example.com")
    UserFactory(email="lead@example.com", manager=boss)

    outcome = import_run(kind="users", data=users("boss@example.com,Bo,Boss,,lead@example.com,,,,"), dry_run=False)

    assert errors_of(outcome) == [(2, "manager_email")]
    assert "Manager cycle" in outcome.errors[0].message
    boss.refresh_from_db()
    assert boss.manager is None


def test_missing_column_and_wrong_encoding_are_reported():
    missing = import_run(kind="users", data=b"email,first_name,last_name\nx@example.com,X,Y\n", dry_run=True)
    latin1 = import_run(
        kind="users", data=users("jos\xe9@example.com,Jos\xe9,Garc\xeda,,,,,,").decode().encode("latin-1"), dry_run=True
    )

    assert {e.column for e in missing.errors} == {
        "employee_id",
        "manager_email",
        "department",
        "job_title",
        "hire_date",
        "timezone",
    }
    assert all(e.line == 1 for e in missing.errors)
    assert latin1.errors[0].line == 2 and "UTF-8" in latin1.errors[0].message


def test_dry_run_reports_the_changes_and_changes_nothing():
    UserFactory(email="lee@example.com", job_title="Analyst")

    outcome = import_run(
        kind="users", data=users("lee@example.com,Lee,L,,,,Manager,,", "new@example.com,N,P,,,Sales,,,"), dry_run=True
    )

    assert outcome.ok and not outcome.applied
    assert (outcome.summary["create"], outcome.summary["update"]) == (1, 1)
    assert outcome.summary["departments_created"] == ["Sales"]
    assert User.objects.count() == 1 and not Department.objects.filter(name="Sales").exists()


def test_imported_new_users_pick_up_their_rules():
    dept = DepartmentFactory(name="Warehouse")
    rule = AssignmentRule(
        name="Safety",
        course=CourseFactory(),
        department=dept,
        starts_on=dt.date(2026, 1, 1),
        due_days=10,
        due_mode="from_assignment",
    )
    rule_save(rule=rule)

    import_run(kind="users", data=users("ann@example.com,Ann,A,,,Warehouse,,,"), dry_run=False)

    assignment = Assignment.objects.get(learner__email="ann@example.com")
    assert (assignment.rule, assignment.due_date) == (rule, dt.date(2026, 3, 12))


def test_parsing_is_pure_and_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        rows, errors = parse_users(users("a@example.com,A,B,,,,,2026-01-01,Europe/Paris"))
    assert errors == [] and rows[0].hire_date == dt.date(2026, 1, 1)


def _users_file(count: int, managers: int = 5, prefix: str = "") -> bytes:
    lines = [
        f"{prefix}boss{i}@example.com,Boss,{i},{prefix}B{i},,{prefix}Dept {i % 3},Lead,2020-01-01,Europe/London"
        for i in range(managers)
    ]
    lines += [
        f"{prefix}user{i}@example.com,User,{i},{prefix}U{i},{prefix}boss{i % managers}@example.com,{prefix}Dept {i % 3},"
        "Operative,2025-06-01,Europe/London"
        for i in range(count - managers)
    ]
    return users(*lines)


def _count_queries(data: bytes) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        outcome = import_run(kind="users", data=data, dry_run=False)
    assert outcome.applied, outcome.errors[:3]
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("sqlite_param_limit")
def test_user_import_query_count_is_flat_from_10_to_1000_rows(django_assert_num_queries):
    # Given an active rule (so new people are matched against rules at both sizes)
    rule = AssignmentRule(name="All", course=CourseFactory(), job_title="Operative", starts_on=dt.date(2026, 1, 1))
    rule_save(rule=rule)
    small = _count_queries(_users_file(10, prefix="s"))

    # When a file 100 times larger is imported, then it takes exactly as many queries
    with django_assert_num_queries(small):
        import_run(kind="users", data=_users_file(1000, prefix="l"), dry_run=False)

    assert User.objects.filter(email__startswith="luser").count() == 995
    assert Assignment.objects.filter(rule=rule).count() == 1000


@pytest.mark.usefixtures("sqlite_param_limit")
def test_user_import_update_query_count_is_flat(django_assert_num_queries):
    import_run(kind="users", data=_users_file(10), dry_run=False)
    import_run(kind="users", data=_users_file(1000), dry_run=False)
    changed_small = _users_file(10).replace(b"Operative", b"Picker")
    changed_large = _users_file(1000).replace(b"Operative", b"Picker")
    small = _count_queries(changed_small)

    with django_assert_num_queries(small):
        import_run(kind="users", data=changed_large, dry_run=False)
    assert User.objects.filter(job_title="Picker").count() == 995


# --- assignments ---


def test_assignment_file_assigns_archives_and_reassigns():
    course = CourseFactory(code="GDPR-101")
    assign_me, archive_me, reassign_me, skip_me = (UserFactory(email=f"{n}@example.com") for n in ("a", "b", "c", "d"))
    to_archive = AssignmentFactory(learner=archive_me, course=course)
    to_reassign = AssignmentFactory(learner=reassign_me, course=course)
    AssignmentFactory(learner=skip_me, course=course, due_date=dt.date(2026, 3, 20))
    data = (
        ASSIGN_HEADER
        + "a@example.com,GDPR-101,assign,2026-04-01\nb@example.com,gdpr-101,archive,\n"
        + "c@example.com,GDPR-101,reassign,2026-05-01\nd@example.com,GDPR-101,assign,\n"
    ).encode()

    outcome = import_run(kind="assignments", data=data, dry_run=False, actor=AdminFactory())

    assert outcome.ok, outcome.errors
    assert outcome.summary["result"] == {"assigned": 2, "archived": 2, "skipped": 1}
    assert Assignment.objects.get(learner=assign_me).due_date == dt.date(2026, 4, 1)
    to_archive.refresh_from_db()
    to_reassign.refresh_from_db()
    assert to_archive.archived_at and to_reassign.archived_at
    new = Assignment.objects.get(learner=reassign_me, archived_at=None)
    assert (new.due_date, new.source) == (dt.date(2026, 5, 1), "upload")
    skip = next(line for line in outcome.summary["lines"] if line["email"] == "d@example.com")
    assert skip["action"] == "skip" and "2026-03-20" in skip["note"]


def test_assignment_file_errors_are_listed_and_nothing_changes():
    CourseFactory(code="GDPR-101")
    CourseFactory(code="DRAFT-1", status=Course.Status.DRAFT)
    UserFactory(email="a@example.com")
    data = (
        ASSIGN_HEADER
        + "a@example.com,GDPR-101,assign,2026-04-01\n"
        + "a@example.com,NOPE-1,assign,\n"
        + "ghost@example.com,GDPR-101,assign,\n"
        + "a@example.com,GDPR-101,assign,\n"
        + "a@example.com,DRAFT-1,assign,01/04/2026\n"
        + "a@example.com,OTHER-1,teleport,\n"
    ).encode()

    outcome = import_run(kind="assignments", data=data, dry_run=False)

    assert errors_of(outcome) == [(3, "course_code"), (4, "email"), (5, "email"), (6, "due_date"), (7, "action")]
    assert "Unknown course code NOPE-1" in outcome.errors[0].message
    assert not Assignment.objects.exists()


def test_archive_without_an_active_assignment_is_a_line_error():
    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")
    outcome = import_run(
        kind="assignments", data=(ASSIGN_HEADER + "a@example.com,GDPR-101,archive,\n").encode(), dry_run=False
    )
    assert errors_of(outcome) == [(2, "action")]


@pytest.mark.usefixtures("sqlite_param_limit")
def test_assignment_import_query_count_is_flat(django_assert_num_queries):
    CourseFactory(code="GDPR-101")
    UserFactory.create_batch(1000)
    emails = list(User.objects.order_by("pk").values_list("email", flat=True))

    def file(people):
        return (ASSIGN_HEADER + "".join(f"{e},GDPR-101,assign,2026-04-01\n" for e in people)).encode()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert import_run(kind="assignments", data=file(emails[:10]), dry_run=False).applied
    with django_assert_num_queries(len(small.captured_queries)):
        assert import_run(kind="assignments", data=file(emails[10:]), dry_run=False).applied
    assert Assignment.objects.count() == 1000


# --- completions ---


def test_historical_completions_are_imported_with_expiry_and_generated_certificates():
    course = CourseFactory(code="GDPR-101", recertification_months=12)
    learner = UserFactory(email="a@example.com")
    data = (
        COMPLETIONS_HEADER + "a@example.com,GDPR-101,2025-01-15,92,OLD-0001\n" + "a@example.com,GDPR-101,2024-01-10,,\n"
    ).encode()

    outcome = import_run(kind="completions", data=data, dry_run=False)

    assert outcome.ok, outcome.errors
    rows = {c.completed_at.date(): c for c in Completion.objects.filter(learner=learner)}
    assert rows[dt.date(2025, 1, 15)].certificate_number == "OLD-0001"
    assert rows[dt.date(2025, 1, 15)].expires_on == dt.date(2026, 1, 15)
    assert rows[dt.date(2024, 1, 10)].certificate_number.startswith("GDPR-101-")
    assert {c.source for c in rows.values()} == {"imported"}
    assert {(c.course_version, c.assignment_id) for c in rows.values()} == {(course.version, None)}


def test_completion_errors_include_duplicate_certificates_and_nothing_is_imported():
    CourseFactory(code="GDPR-101")
    learner = UserFactory(email="a@example.com")
    CompletionFactory(learner=learner, certificate_number="TAKEN-1")
    data = (
        COMPLETIONS_HEADER
        + "a@example.com,GDPR-101,2025-01-15,92,CERT-1\n"
        + "a@example.com,GDPR-101,2025-02-15,101,CERT-1\n"
        + "a@example.com,GDPR-101,2025-03-15,80,TAKEN-1\n"
        + "a@example.com,NOPE,2099-03-15,80,\n"
        + "a@example.com,GDPR-101,15/03/2025,80,\n"
    ).encode()

    outcome = import_run(kind="completions", data=data, dry_run=False)

    assert errors_of(outcome) == [
        (3, "certificate_number"),
        (3, "score"),
        (4, "certificate_number"),
        (5, "completed_at"),
        (6, "completed_at"),
    ]
    assert Completion.objects.count() == 1


@pytest.mark.usefixtures("sqlite_param_limit")
def test_assignment_import_with_a_different_due_date_per_line_stays_flat(django_assert_num_queries):
    CourseFactory(code="GDPR-101")
    UserFactory.create_batch(300)
    emails = list(User.objects.order_by("pk").values_list("email", flat=True))

    def file(people):
        return (
            ASSIGN_HEADER
            + "".join(
                f"{e},GDPR-101,assign,{(dt.date(2026, 4, 1) + dt.timedelta(days=i)).isoformat()}\n"
                for i, e in enumerate(people)
            )
        ).encode()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert import_run(kind="assignments", data=file(emails[:10]), dry_run=False).applied
    with django_assert_num_queries(len(small.captured_queries)):
        assert import_run(kind="assignments", data=file(emails[10:]), dry_run=False).applied
    assert Assignment.objects.filter(learner__email=emails[299]).get().due_date == dt.date(2026, 4, 1) + dt.timedelta(
        days=289
    )


@pytest.mark.usefixtures("sqlite_param_limit")
def test_completion_import_query_count_is_flat(django_assert_num_queries):
    CourseFactory(code="GDPR-101", recertification_months=12)
    UserFactory.create_batch(1010)
    emails = list(User.objects.order_by("pk").values_list("email", flat=True))

    def file(people):
        return (COMPLETIONS_HEADER + "".join(f"{e},GDPR-101,2025-01-01,90,\n" for e in people)).encode()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert import_run(kind="completions", data=file(emails[:10]), dry_run=False).applied
    with django_assert_num_queries(len(small.captured_queries)):
        assert import_run(kind="completions", data=file(emails[10:]), dry_run=False).applied
    assert Completion.objects.filter(source="imported", expires_on=dt.date(2026, 1, 1)).count() == 1010
