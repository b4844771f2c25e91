"""What a package's commits become: state, resume data, attempts, completions and signals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assignments import signals
from assignments.models import Assignment, Attempt, Completion, ModuleProgress
from assignments.scorm_runtime.models import ScormInteraction, ScormState
from assignments.scorm_runtime.selectors import interaction_rows_for_course, launch_for
from assignments.scorm_runtime.tests.helpers import assign, commit, first_sco, import_package, session_id
from courses.tests.factories import make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

PASS_12 = {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "85", "cmi.core.exit": ""}
FAIL_12 = {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "60", "cmi.core.exit": ""}


@pytest.fixture
def caught():
    """The domain signals sent, by name."""
    seen: dict[str, list] = {"attempt_failed": [], "attempts_exhausted": [], "course_completed": []}

    def catcher(name):
        def receive(sender, **kwargs):
            seen[name].append(kwargs)

        return receive

    receivers = {name: catcher(name) for name in seen}
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver, weak=False, dispatch_uid=f"test-{name}")
    yield seen
    for name in receivers:
        getattr(signals, name).disconnect(dispatch_uid=f"test-{name}")


@time_machine.travel(NOW, tick=False)
def test_a_12_package_passed_against_its_mastery_score_completes_the_course(
    scorm_storage, caught, django_capture_on_commit_callbacks
):
    # given a SCORM 1.2 package with a mastery score of 80 that grades its course
    package = import_package(mastery_score=80, rules={"max_attempts": 2})
    assignment = assign(package)
    # when the content reports "completed" with 85
    with django_capture_on_commit_callbacks(execute=True):
        result = commit(assignment, first_sco(package), PASS_12)
    # then the LMS decides "passed" from the mastery score, and a passed attempt and completion exist
    state = ScormState.objects.get()
    assert (state.completion, state.success, state.score) == ("completed", "passed", Decimal("85.00"))
    attempt = Attempt.objects.get(assignment=assignment)
    assert (attempt.quiz_id, attempt.number, attempt.status, attempt.passed, attempt.score) == (
        package.quiz_id,
        1,
        Attempt.Status.SUBMITTED,
        True,
        Decimal("85.00"),
    )
    completion = Completion.objects.get(assignment=assignment)
    assert completion.attempt == attempt and completion.certificate_number
    assert result.completion == completion and result.finished
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.COMPLETED
    assert ModuleProgress.objects.get(assignment=assignment, module=package.module).completed_at == NOW
    assert state.attempt == attempt
    assert len(caught["course_completed"]) == 1 and not caught["attempt_failed"]


def test_a_12_status_of_passed_below_the_mastery_score_is_a_fail(
    scorm_storage, caught, django_capture_on_commit_callbacks
):
    # given a package with a mastery score of 80 and two attempts
    package = import_package(mastery_score=80, rules={"max_attempts": 2})
    assignment = assign(package)
    # when the content claims "passed" with 60
    with django_capture_on_commit_callbacks(execute=True):
        result = commit(
            assignment, first_sco(package), {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "60"}
        )
    # then the mastery score decides: a failed attempt 1, the failure signal, no completion
    assert ScormState.objects.get().success == "failed"
    attempt = Attempt.objects.get()
    assert (attempt.number, attempt.passed, attempt.score) == (1, False, Decimal("60.00"))
    assert not Completion.objects.exists() and not result.exhausted
    assert [kwargs["attempt"] for kwargs in caught["attempt_failed"]] == [attempt]
    assert not caught["attempts_exhausted"]


def test_a_retake_after_a_fail_starts_a_fresh_run_ab_initio(scorm_storage):
    package = import_package(mastery_score=80, rules={"max_attempts": 3})
    assignment = assign(package)
    item = first_sco(package)
    commit(assignment, item, {**FAIL_12, "cmi.core.lesson_location": "page-9", "cmi.suspend_data": "x=1"})
    # when the learner comes back for the next try
    launch = launch_for(assignment=assignment, package=package, item_pk=None)
    # then it is run 2, from the beginning, with nothing of the failed try
    assert launch.run == 2 and not launch.blocked
    assert launch.cmi["core"]["entry"] == "ab-initio"
    assert launch.cmi["core"]["lesson_location"] == "" and launch.cmi["suspend_data"] == ""
    assert launch.cmi["core"]["lesson_status"] == "not attempted"
    # and a pass in run 2 is attempt 2
    commit(assignment, item, PASS_12, run=2)
    assert list(Attempt.objects.order_by("number").values_list("number", "passed")) == [(1, False), (2, True)]


def test_a_commit_replayed_for_a_closed_run_changes_nothing(scorm_storage):
    package = import_package(mastery_score=80, rules={"max_attempts": 3})
    assignment = assign(package)
    item = first_sco(package)
    session = session_id()
    commit(assignment, item, FAIL_12, session=session)
    # when the same commit arrives again (a retry, a second tab)
    result = commit(assignment, item, FAIL_12, session=session)
    # then it is not recorded: one attempt, one state
    assert not result.recorded and "already been recorded" in result.reason
    assert Attempt.objects.count() == 1 and ScormState.objects.count() == 1


def test_the_last_allowed_fail_exhausts_the_attempts_and_the_player_says_so(
    scorm_storage, caught, django_capture_on_commit_callbacks
):
    package = import_package(mastery_score=80, rules={"max_attempts": 1})
    assignment = assign(package)
    with django_capture_on_commit_callbacks(execute=True):
        result = commit(assignment, first_sco(package), FAIL_12)
    assert result.exhausted
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.FAILED
    assert len(caught["attempts_exhausted"]) == 1
    launch = launch_for(assignment=Assignment.objects.get(pk=assignment.pk), package=package, item_pk=None)
    assert launch.blocked and launch.cmi == {}
    assert launch.refusal == "You have used all your attempts at this assessment."
    # and a commit now records nothing
    again = commit(Assignment.objects.get(pk=assignment.pk), first_sco(package), PASS_12, run=2)
    assert not again.recorded and Attempt.objects.count() == 1


def test_the_cooldown_holds_the_next_run_back(scorm_storage):
    package = import_package(mastery_score=80, rules={"max_attempts": 3, "cooldown_first_minutes": 60})
    assignment = assign(package)
    with time_machine.travel(NOW, tick=False):
        commit(assignment, first_sco(package), FAIL_12)
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        launch = launch_for(assignment=assignment, package=package, item_pk=None)
        assert launch.blocked and "You can retake the assessment from" in launch.refusal
        assert not commit(assignment, first_sco(package), PASS_12, run=2).recorded
    with time_machine.travel(NOW + dt.timedelta(minutes=61), tick=False):
        assert not launch_for(assignment=assignment, package=package, item_pk=None).blocked
        assert commit(assignment, first_sco(package), PASS_12, run=2).attempt.number == 2


def test_resume_data_and_total_time_come_back_on_the_next_launch(scorm_storage):
    package = import_package(mastery_score=80)
    assignment = assign(package)
    item = first_sco(package)
    first, second = session_id(), session_id()
    data = {
        "cmi.core.lesson_status": "incomplete",
        "cmi.core.lesson_location": "slide-4",
        "cmi.suspend_data": "answers=a,b",
        "cmi.core.exit": "suspend",
        "cmi.core.session_time": "00:10:00",
    }
    commit(assignment, item, data, session=first, seq=1)
    commit(assignment, item, {**data, "cmi.core.session_time": "00:12:30"}, session=first, seq=2)
    commit(assignment, item, {**data, "cmi.core.session_time": "00:12:30"}, session=first, seq=2)  # replayed
    commit(assignment, item, {**data, "cmi.core.session_time": "00:00:00"}, session=second, elapsed=95.5)
    launch = launch_for(assignment=assignment, package=package, item_pk=None)
    core = launch.cmi["core"]
    assert (core["entry"], core["lesson_location"], launch.cmi["suspend_data"]) == ("resume", "slide-4", "answers=a,b")
    # 12:30 of the first session (replaced, not added) + 95.5 s measured by the player in the second
    assert core["total_time"] == "0000:14:05.50"
    assert ScormState.objects.get().total_seconds == Decimal("845.50")
    assert not Attempt.objects.exists()


def test_an_older_commit_arriving_late_does_not_undo_a_newer_one(scorm_storage):
    package = import_package()
    assignment = assign(package)
    item = first_sco(package)
    session = session_id()
    commit(
        assignment,
        item,
        {"cmi.core.lesson_location": "p2", "cmi.core.lesson_status": "incomplete"},
        session=session,
        seq=5,
    )
    commit(
        assignment,
        item,
        {"cmi.core.lesson_location": "p1", "cmi.core.lesson_status": "incomplete"},
        session=session,
        seq=4,
    )
    assert ScormState.objects.get().location == "p2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cmi.core.nonsense": "1"}, "cmi.core.nonsense: not an element of the SCORM 1.2 data model"),
        ({"cmi.suspend_data": "x" * 4097}, "cmi.suspend_data: longer than the 4096 characters"),
        ({"cmi.core.lesson_status": "finished"}, "cmi.core.lesson_status: not one of the values"),
        ({"cmi.core.score.raw": "101"}, "cmi.core.score.raw: out of the range"),
        ({"cmi.core.score.raw": "NaN"}, "cmi.core.score.raw: not a number"),
        ({"cmi.core.session_time": "ten minutes"}, "cmi.core.session_time: not a time span"),
        ({"cmi.interactions.250.id": "q"}, "cmi.interactions.250.id: more than 250 entries"),
        ({"cmi.interactions.0.type": "choice"}, "cmi.interactions.0.id: an interaction needs an identifier"),
        ({"cmi.interactions.0.id": "q", "cmi.interactions.0.result": "right"}, "not one of the values"),
        ({"cmi.core.lesson_location": ["a"]}, "the value is not text"),
        ([1, 2], "not a set of SCORM elements"),
    ],
)
def test_a_bad_commit_is_refused_whole_and_writes_nothing(scorm_storage, data, message):
    package = import_package(mastery_score=80)
    assignment = assign(package)
    good = {"cmi.core.lesson_location": "p1", "cmi.core.lesson_status": "completed", "cmi.core.score.raw": "90"}
    payload = {**good, **data} if isinstance(data, dict) else data
    with pytest.raises(ValidationError) as error:
        commit(assignment, first_sco(package), payload)
    assert message in " ".join(error.value.messages)
    assert not ScormState.objects.exists() and not Attempt.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.ASSIGNED


def test_2004_limits_and_vocabulary_differ_from_12(scorm_storage):
    package = import_package(version="2004-4", mastery_score=80)
    assignment = assign(package)
    item = first_sco(package)
    with pytest.raises(ValidationError):
        commit(assignment, item, {"cmi.core.lesson_status": "completed"})  # a 1.2 element
    with pytest.raises(ValidationError):
        commit(assignment, item, {"cmi.suspend_data": "x" * 64001})
    commit(assignment, item, {"cmi.suspend_data": "x" * 64000, "cmi.completion_status": "incomplete"})
    assert len(ScormState.objects.get().suspend_data) == 64000


@pytest.mark.parametrize("state", ["archived", "completed"])
def test_a_commit_on_an_archived_or_completed_assignment_changes_nothing(scorm_storage, state):
    package = import_package(mastery_score=80)
    assignment = assign(package)
    if state == "archived":
        Assignment.objects.filter(pk=assignment.pk).update(archived_at=NOW, archived_reason="left")
    else:
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.COMPLETED, completed_at=NOW)
    result = commit(Assignment.objects.get(pk=assignment.pk), first_sco(package), PASS_12)
    assert not result.recorded and result.reason
    assert not ScormState.objects.exists() and not Attempt.objects.exists()


def test_a_2004_package_is_finished_when_every_sco_is_done(scorm_storage):
    # given a two-SCO 2004 package with a mastery score of 80 (scaled passing score 0.8)
    package = import_package(version="2004-4", scos=["Part 1", "Part 2"], mastery_score=80)
    assignment = assign(package)
    one, two = package.items.filter(is_sco=True).order_by("order")
    # when the first SCO is completed
    result = commit(assignment, one, {"cmi.completion_status": "completed", "cmi.score.scaled": "0.9"})
    # then nothing is decided yet
    assert not result.finished and not Attempt.objects.exists()
    assert ScormState.objects.get(item=one).success == "passed"  # 0.9 >= 0.8, whatever the content said
    # when the second is completed too
    result = commit(assignment, two, {"cmi.completion_status": "completed", "cmi.score.scaled": "0.8"})
    # then the package's score is the mean, and it passes
    assert result.finished and result.attempt.passed and result.attempt.score == Decimal("85.00")
    assert Completion.objects.filter(assignment=assignment).exists()


def test_a_package_that_is_a_module_of_a_native_course_completes_the_module_only(scorm_storage):
    course = make_course(questions=2, modules=1, status="draft")
    package = import_package(version="2004-4", as_module_of=course)
    assert package.quiz_id is None
    assignment = assign(package)
    result = commit(assignment, first_sco(package), {"cmi.completion_status": "completed"})
    assert result.finished and result.attempt is None
    assert ModuleProgress.objects.get(assignment=assignment, module=package.module).completed_at is not None
    assert not Attempt.objects.exists()


def test_interactions_are_kept_per_identifier_and_counted_for_item_analysis(scorm_storage):
    package = import_package(version="2004-4", mastery_score=80, rules={"max_attempts": 5})
    item = first_sco(package)
    answers = [("correct", "correct"), ("incorrect", "correct"), ("incorrect", "incorrect")]
    for first, second in answers:
        assignment = assign(package, learner=UserFactory())
        data = {
            "cmi.completion_status": "incomplete",
            "cmi.interactions.0.id": "q-gdpr-1",
            "cmi.interactions.0.type": "choice",
            "cmi.interactions.0.learner_response": "b",
            "cmi.interactions.0.result": first,
            "cmi.interactions.0.description": "Which data is personal?",
            "cmi.interactions.1.id": "q-gdpr-2",
            "cmi.interactions.1.type": "true-false",
            "cmi.interactions.1.learner_response": "true",
            "cmi.interactions.1.result": second,
        }
        commit(assignment, item, data)
        # the same question answered again in a later commit replaces the answer
        commit(assignment, item, {**data, "cmi.interactions.0.learner_response": "c"})
    assert ScormInteraction.objects.count() == 6
    assert set(ScormInteraction.objects.values_list("learner_response", flat=True)) == {"c", "true"}
    rows = list(interaction_rows_for_course(course_code=package.course.code))
    assert [(row["identifier"], row["responses"], row["correct"]) for row in rows] == [
        ("q-gdpr-1", 3, 1),
        ("q-gdpr-2", 3, 2),
    ]
    assert rows[0]["description"] == "Which data is personal?"
    assert [round(row["correct_percent"], 2) for row in rows] == [Decimal("33.33"), Decimal("66.67")]
