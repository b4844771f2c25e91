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
    assert skip["action"] == "skip" and "20 Mar 2026" in skip["note"]


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


def test_generated_certificate_numbers_drawn_twice_or_already_on_record_are_drawn_again(monkeypatch):
    # A generated number has 32 random bits per course and day: at 100,000 lines of history the
    # bench drew one twice and the whole import failed on the unique constraint.
    CourseFactory(code="GDPR-101")
    people = [UserFactory(email=f"p{i}@example.com") for i in range(3)]
    CompletionFactory(learner=people[0], certificate_number="GDPR-101-X-ON-RECORD")
    draws = iter(["GDPR-101-X-1", "GDPR-101-X-1", "GDPR-101-X-ON-RECORD", "GDPR-101-X-2", "GDPR-101-X-3"])
    monkeypatch.setattr("assignments.services.imports.new_certificate_number", lambda **kwargs: next(draws))
    data = (COMPLETIONS_HEADER + "".join(f"{p.email},GDPR-101,2025-01-15,90,\n" for p in people)).encode()

    outcome = import_run(kind="completions", data=data, dry_run=False)

    assert outcome.applied, outcome.errors
    numbers = Completion.objects.filter(source="imported").values_list("certificate_number", flat=True)
    assert sorted(numbers) == ["GDPR-101-X-1", "GDPR-101-X-2", "GDPR-101-X-3"]


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


# --- faults found from outside (issue 12): each line a message, never a crash -----------------


def completions(*lines: str) -> bytes:
    return (COMPLETIONS_HEADER + "\n".join(lines) + "\n").encode()


def assignments(*lines: str) -> bytes:
    return (ASSIGN_HEADER + "\n".join(lines) + "\n").encode()


# Course codes: one code whatever its letter case (item 8)


def test_a_completion_naming_a_code_the_catalogue_spells_two_ways_is_refused():
    # Given published HS-101 and, from before codes were unique whatever their case, a draft hs-101
    CourseFactory(code="HS-101", version=1)
    CourseFactory(code="hs-101", version=2, status=Course.Status.DRAFT)
    UserFactory(email="a@example.com")

    outcome = import_run(kind="completions", data=completions("a@example.com,HS-101,2025-01-15,90,"), dry_run=False)

    assert errors_of(outcome) == [(2, "course_code")]
    assert outcome.errors[0].message == (
        "Course code HS-101 is ambiguous: the catalogue has HS-101 and hs-101, which differ only in letter case. "
        "Give one of them another code, then upload the file again."
    )
    assert not Completion.objects.exists()


def test_an_assignment_naming_a_code_the_catalogue_spells_two_ways_is_refused():
    CourseFactory(code="HS-101", version=1)
    CourseFactory(code="hs-101", version=2)
    UserFactory(email="a@example.com")

    outcome = import_run(kind="assignments", data=assignments("a@example.com,hs-101,assign,"), dry_run=False)

    assert errors_of(outcome) == [(2, "course_code")]
    assert "HS-101 and hs-101" in outcome.errors[0].message
    assert not Assignment.objects.exists()


# Numbers (item 9)


@pytest.mark.parametrize(
    "score", ["NaN", "nan", "sNaN", "-sNaN", "Infinity", "-Infinity", "inf", "1e999", "1E2", "9_0", "٩٠", "101", "-1"]
)
def test_a_score_that_is_not_a_number_between_0_and_100_is_a_line_error(score):
    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")

    outcome = import_run(
        kind="completions", data=completions(f"a@example.com,GDPR-101,2025-01-15,{score},"), dry_run=False
    )

    assert [error.as_dict() for error in outcome.errors] == [
        {"line": 2, "column": "score", "message": f"“{score}” is not a number between 0 and 100."}
    ]
    assert not Completion.objects.exists()


def test_scores_are_read_to_two_decimals():
    CourseFactory(code="GDPR-101")
    people = [UserFactory(email=f"{n}@example.com") for n in "abcd"]

    outcome = import_run(
        kind="completions",
        data=completions(
            "a@example.com,GDPR-101,2025-01-15,0,",
            "b@example.com,GDPR-101,2025-01-15,100,",
            "c@example.com,GDPR-101,2025-01-15,79.59,",
            "d@example.com,GDPR-101,2025-01-15,100.00,",
        ),
        dry_run=False,
    )

    assert outcome.applied, outcome.errors
    scores = dict(Completion.objects.values_list("learner__email", "score"))
    assert [str(scores[p.email]) for p in people] == ["0.00", "100.00", "79.59", "100.00"]


def test_the_completions_command_names_a_nan_score_without_a_traceback(tmp_path, capsys):
    from django.core.management import CommandError, call_command

    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")
    path = tmp_path / "history.csv"
    path.write_bytes(completions("a@example.com,GDPR-101,2025-01-15,NaN,"))

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_completions", str(path))

    assert "line 2 [score]: “NaN” is not a number between 0 and 100." in capsys.readouterr().err
    assert not Completion.objects.exists()


def test_an_uploaded_file_with_an_infinite_score_is_refused_with_its_line_not_a_500(
    client, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from assignments.models import ImportJob

    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")
    client.force_login(AdminFactory())
    upload = SimpleUploadedFile("history.csv", completions("a@example.com,GDPR-101,2025-01-15,Infinity,"), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assignments:uploads"), {"kind": "completions", "file": upload})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.INVALID
    assert job.errors == [{"line": 2, "column": "score", "message": "“Infinity” is not a number between 0 and 100."}]
    page = client.get(reverse("assignments:upload", args=[job.pk]))
    assert page.status_code == 200 and "is not a number between 0 and 100" in page.content.decode()


# Lengths: every column's limit comes from the model field it is stored in (item 12)

NOT_STORED_AS_TEXT = {"hire_date", "due_date", "completed_at", "score", "action"}
# The model field each text column is stored in; its max_length is the column's limit.
STORED_IN = {
    "email": (User, "email"),
    "manager_email": (User, "email"),
    "first_name": (User, "first_name"),
    "last_name": (User, "last_name"),
    "employee_id": (User, "employee_id"),
    "department": (Department, "name"),
    "job_title": (User, "job_title"),
    "timezone": (User, "timezone"),
    "course_code": (Course, "code"),
    "certificate_number": (Completion, "certificate_number"),
}
GOOD_LINES = {
    "users": "ann@example.com,Ann,Able,E1,,Ops,Clerk,2026-01-05,Europe/London",
    "assignments": "ann@example.com,GDPR-101,assign,2026-04-01",
    "completions": "ann@example.com,GDPR-101,2025-06-01,90,C-1",
}
HEADERS = {"users": USERS_HEADER, "assignments": ASSIGN_HEADER, "completions": COMPLETIONS_HEADER}


def _columns(kind: str) -> list[str]:
    return HEADERS[kind].strip().split(",")


def _limited_columns():
    for kind in HEADERS:
        for column in _columns(kind):
            if column not in NOT_STORED_AS_TEXT:
                yield kind, column


def _limit(column: str) -> int:
    model, name = STORED_IN[column]
    return model._meta.get_field(name).max_length


def _too_long(column: str, length: int) -> str:
    if column.endswith("email"):
        return "a" * (length - len("@example.com")) + "@example.com"
    return "x" * length


def test_every_column_of_every_import_is_a_date_a_number_a_choice_or_has_a_stored_limit():
    # A new text column fails here until it is listed with the field it is stored in (and so tested below).
    assert {column for _kind, column in _limited_columns()} <= set(STORED_IN)


@pytest.mark.parametrize("kind,column", list(_limited_columns()), ids=[f"{k}-{c}" for k, c in _limited_columns()])
def test_a_value_longer_than_its_column_holds_is_a_line_error_naming_the_column_and_limit(kind, column):
    CourseFactory(code="GDPR-101")
    UserFactory(email="ann@example.com")
    limit = _limit(column)
    cells = GOOD_LINES[kind].split(",")
    cells[_columns(kind).index(column)] = _too_long(column, limit + 1)
    before = (User.objects.count(), Department.objects.count(), Assignment.objects.count(), Completion.objects.count())

    outcome = import_run(kind=kind, data=(HEADERS[kind] + ",".join(cells) + "\n").encode(), dry_run=False)

    message = f"This value has {limit + 1} characters; the {column} column holds at most {limit}."
    assert (2, column, message) in [(e.line, e.column, e.message) for e in outcome.errors]
    assert not outcome.applied
    assert before == (
        User.objects.count(),
        Department.objects.count(),
        Assignment.objects.count(),
        Completion.objects.count(),
    )


def test_a_new_person_with_a_200_character_first_name_and_a_100_character_employee_id_is_refused():
    # The input: on PostgreSQL this was an error at insert (and, for an existing person, a
    # silent cut to the column's length: bulk_update casts to varchar(n)).
    outcome = import_run(
        kind="users", data=users("new@example.com," + "F" * 200 + ",Last," + "7" * 100 + ",,,,,"), dry_run=False
    )

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "line": 2,
            "column": "employee_id",
            "message": "This value has 100 characters; the employee_id column holds at most 64.",
        },
        {
            "line": 2,
            "column": "first_name",
            "message": "This value has 200 characters; the first_name column holds at most 150.",
        },
    ]
    assert not User.objects.exists()


def test_values_at_the_limit_of_every_users_column_are_stored_whole():
    # On PostgreSQL (CI) this inserts into varchar columns: one character more is refused above.
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(email) == 254
    line = ",".join([email, "F" * 150, "L" * 150, "E" * 64, "", "D" * 120, "J" * 150, "2020-01-01", "Europe/London"])

    outcome = import_run(kind="users", data=users(line), dry_run=False)

    assert outcome.applied, outcome.errors
    person = User.objects.get()
    assert (len(person.email), len(person.first_name), len(person.last_name), len(person.employee_id)) == (
        254,
        150,
        150,
        64,
    )
    assert (len(person.department.name), len(person.job_title)) == (120, 150)


def test_the_limits_follow_the_model_fields_not_numbers_in_the_import(monkeypatch):
    monkeypatch.setattr(User._meta.get_field("first_name"), "max_length", 20)

    outcome = import_run(kind="users", data=users("ann@example.com," + "A" * 21 + ",Able,,,,,,"), dry_run=True)

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "line": 2,
            "column": "first_name",
            "message": "This value has 21 characters; the first_name column holds at most 20.",
        }
    ]


# Encodings and separators (item 20)


def test_every_line_that_is_not_utf8_is_named():
    text = users(
        "ann@example.com,Ann,Able,,,,,,",
        "jose@example.com,Jos\xe9,Garc\xeda,,,,,,",
        "bob@example.com,Bob,Bell,,,,,,",
        "cat@example.com,Cat,Cole,,,,,,",
        "zoe@example.com,Zo\xeb,Zee,,,,,,",
    ).decode()
    data = text.encode("latin-1")

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert errors_of(outcome) == [(3, ""), (6, "")]
    assert outcome.errors[0].message == (
        "This line is not UTF-8 text (byte 0xE9 at character 21). Save the file as “CSV UTF-8” and upload it again."
    )
    assert "byte 0xEB" in outcome.errors[1].message
    assert not User.objects.exists()


def test_an_ansi_example_file_names_each_accented_line():
    # Replays chamilo/chamilo-lms#2266: the platform's example file saved as "ANSI" (Windows-1252),
    # "Stéphane" and "Agnès" imported as "St" and "Agn". Here each such line is named instead.
    data = users("stephane@example.com,Stéphane,Martin,,,,,,", "agnes@example.com,Agnès,Durand,,,,,,").decode()

    outcome = import_run(kind="users", data=data.encode("cp1252"), dry_run=False)

    assert errors_of(outcome) == [(2, ""), (3, "")]
    assert all("not UTF-8" in e.message for e in outcome.errors)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "kind,header,separator",
    [
        ("users", USERS_HEADER.replace(",", ";"), "“;” (semicolon)"),
        # Replays django-import-export#181: a semicolon header with quoted names came out as one column.
        ("assignments", 'email;"course_code";"action";due_date\n', "“;” (semicolon)"),
        ("completions", COMPLETIONS_HEADER.replace(",", "\t"), "tabs"),
    ],
)
def test_a_file_with_another_separator_gets_one_message_naming_it(kind, header, separator):
    line = GOOD_LINES[kind].replace(",", "\t" if separator == "tabs" else ";")

    outcome = import_run(kind=kind, data=(header + line + "\n").encode(), dry_run=False)

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "line": 1,
            "column": "",
            "message": f"The file seems to use {separator} between columns; this import needs commas. "
            "Save it as “CSV UTF-8 (comma delimited)” and upload it again.",
        }
    ]


# Managers: every bad line in one pass (item 24)


def test_a_manager_cycle_and_an_unknown_manager_are_named_in_one_pass():
    data = users(
        "ann@example.com,Ann,A,,bob@example.com,,,,",
        "bob@example.com,Bob,B,,ann@example.com,,,,",
        "cat@example.com,Cat,C,,ghost@example.com,,,,",
    )

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert errors_of(outcome) == [(2, "manager_email"), (3, "manager_email"), (4, "manager_email")]
    assert [e.message.split(":")[0] for e in outcome.errors] == [
        "Manager cycle",
        "Manager cycle",
        "Unknown manager ghost@example.com",
    ]
    assert not User.objects.exists()


def test_a_cycle_through_a_line_with_another_error_is_named_in_the_same_pass():
    UserFactory(email="taken@example.com", employee_id="E9")
    data = users(
        "ann@example.com,Ann,A,,bob@example.com,,,,",
        "bob@example.com,Bob,B,E9,ann@example.com,,,2026-13-01,",
    )

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert errors_of(outcome) == [(2, "manager_email"), (3, "employee_id"), (3, "hire_date"), (3, "manager_email")]


def test_a_cycle_through_a_manager_a_blank_column_keeps_is_refused():
    # lead's blank manager column keeps boss as lead's manager, so boss -> lead closes a loop.
    boss = UserFactory(email="boss@example.com")
    UserFactory(email="lead@example.com", manager=boss)
    data = users("lead@example.com,Lee,Lead,,,,,,", "boss@example.com,Bo,Boss,,lead@example.com,,,,")

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert errors_of(outcome) == [(2, "manager_email"), (3, "manager_email")]
    assert {e.message for e in outcome.errors} == {
        "Manager cycle: lead@example.com → boss@example.com → lead@example.com."
    }
    boss.refresh_from_db()
    assert boss.manager is None


# Invisible characters (item 25)


def test_a_byte_order_mark_inside_the_file_is_named():
    # Replays decidim/decidim#7780: lines pasted from another file saved "with BOM" carry the mark
    # before their first address, invisible on screen.
    data = users("ann@example.com,Ann,A,,,,,,", "\ufeffagent@example.org,Agent,Smith,,,,,,")

    outcome = import_run(kind="users", data=data, dry_run=False)

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "line": 3,
            "column": "email",
            "message": "“[U+FEFF]agent@example.org” contains an invisible character U+FEFF (byte-order mark): "
            "delete it and upload the file again.",
        }
    ]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "kind,column,value,named",
    [
        ("users", "first_name", "An\u200bn", "U+200B (zero-width space)"),
        ("users", "manager_email", "boss\u00a0@example.com", "U+00A0 (no-break space)"),
        ("users", "timezone", "Europe/\u2060London", "U+2060 (word joiner)"),
        ("assignments", "course_code", "GDPR\u00ad-101", "U+00AD (soft hyphen)"),
        ("assignments", "email", "ann@example.com\u200e", "U+200E (left-to-right mark)"),
        ("completions", "certificate_number", "C-\u202e1", "U+202E (right-to-left override)"),
        ("completions", "course_code", "GDPR-\x07101", "U+0007 (control character)"),
    ],
)
def test_every_invisible_character_in_any_column_is_named(kind, column, value, named):
    CourseFactory(code="GDPR-101")
    UserFactory(email="ann@example.com")
    UserFactory(email="boss@example.com")
    cells = GOOD_LINES[kind].split(",")
    cells[_columns(kind).index(column)] = value

    outcome = import_run(kind=kind, data=(HEADERS[kind] + ",".join(cells) + "\n").encode(), dry_run=False)

    assert errors_of(outcome) == [(2, column)]
    assert f"contains an invisible character {named}" in outcome.errors[0].message
    assert not outcome.applied


def test_an_invisible_character_in_a_column_name_is_named():
    header = USERS_HEADER.replace("first_name", "first\u200b_name")

    outcome = import_run(kind="users", data=(header + GOOD_LINES["users"] + "\n").encode(), dry_run=True)

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "line": 1,
            "column": "first_name",
            "message": "The column name “first[U+200B]_name” contains an invisible character U+200B "
            "(zero-width space): delete it and upload the file again.",
        }
    ]


# Dates in a sane range (the CSV side of item 11)


@pytest.mark.parametrize("hire_date", ["9999-12-31", "2101-01-01", "1899-12-31", "0001-01-01"])
def test_a_hire_date_outside_1900_to_2100_is_a_line_error(hire_date):
    outcome = import_run(kind="users", data=users(f"ann@example.com,Ann,A,,,,,{hire_date},"), dry_run=False)

    assert [e.as_dict() for e in outcome.errors] == [
        {
            "line": 2,
            "column": "hire_date",
            "message": f"{hire_date} is outside the dates this system takes (1900-01-01 to 2100-12-31).",
        }
    ]
    assert not User.objects.exists()


def test_hire_dates_at_the_ends_of_the_range_are_taken():
    outcome = import_run(
        kind="users",
        data=users("a@example.com,A,A,,,,,1900-01-01,", "b@example.com,B,B,,,,,2100-12-31,"),
        dry_run=False,
    )

    assert outcome.applied, outcome.errors
    assert sorted(User.objects.values_list("hire_date", flat=True)) == [dt.date(1900, 1, 1), dt.date(2100, 12, 31)]


def test_due_and_completion_dates_outside_the_range_are_line_errors():
    CourseFactory(code="GDPR-101")
    UserFactory(email="a@example.com")

    due = import_run(kind="assignments", data=assignments("a@example.com,GDPR-101,assign,9999-12-31"), dry_run=False)
    done = import_run(kind="completions", data=completions("a@example.com,GDPR-101,1899-12-31,90,"), dry_run=False)

    assert errors_of(due) == [(2, "due_date")] and "1900-01-01 to 2100-12-31" in due.errors[0].message
    assert errors_of(done) == [(2, "completed_at")] and "1900-01-01 to 2100-12-31" in done.errors[0].message
    assert not Assignment.objects.exists() and not Completion.objects.exists()
