"""SCORM packages played in a real browser (Debian's Chromium): packages built with
courses.scorm.testing.build_package, whose pages call the run-time API as real packages do
(assignments/scorm_runtime/tests/content.py). Issue 15's "done when"."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from assignments.models import Assignment, Attempt, Completion, ModuleProgress
from assignments.scorm_runtime.models import ScormInteraction, ScormState
from assignments.scorm_runtime.tests.content import files_12, files_2004
from assignments.scorm_runtime.tests.helpers import assign, import_package
from escalation.dispatch import run_dispatch
from lms.tests.factories import UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def commits(monkeypatch):
    """The commits the live server has stored, as the data the player sent: the test waits on this
    list instead of polling the database (SQLite refuses a write while another thread reads)."""
    from assignments.scorm_runtime import views

    seen: list[dict] = []
    original = views.runtime_commit

    def recording(**kwargs):
        result = original(**kwargs)
        seen.append(kwargs["data"])
        return result

    monkeypatch.setattr(views, "runtime_commit", recording)
    return seen


def _wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the server never recorded it")


def _learner_with_manager():
    manager = UserFactory(email="manager@example.com", first_name="Mona")
    return UserFactory(email="learner@example.com", first_name="Lee", last_name="Learner", manager=manager)


def _emails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def _play_12(page: Page, live_server, assignment: Assignment, score: str) -> None:
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/")
    page.get_by_role("link", name=assignment.course.modules.get().title).first.click()
    content = page.frame_locator("#scorm-frame")
    expect(content.locator("#entry")).to_have_text("ab-initio")
    expect(content.locator("#student")).to_have_text("Learner, Lee")
    expect(content.locator("#mastery")).to_have_text("80")
    expect(content.locator("#inline")).to_have_text("run")  # the package's inline scripts run in its frame
    content.get_by_label("Score").fill(score)
    content.get_by_role("button", name="Finish the lesson").click()
    expect(content.locator("#status")).to_have_text("finished")


def test_a_12_package_passed_against_its_mastery_score(page: Page, live_server, scorm_storage):
    # given a single-SCO SCORM 1.2 package with a mastery score of 80, assigned to a learner
    package = import_package(mastery_score=80, files=files_12(), rules={"max_attempts": 2})
    learner = _learner_with_manager()
    assignment = assign(package, learner=learner)
    log_in(page, live_server, "learner@example.com")

    # when they play it and finish with 85
    _play_12(page, live_server, assignment, "85")

    # then the player says so, and the attempt, completion and certificate exist
    expect(page.get_by_test_id("scorm-status")).to_contain_text("You passed with 85%")
    expect(page.get_by_test_id("scorm-status").get_by_role("link", name="Back to the course")).to_be_visible()
    attempt = Attempt.objects.get(assignment=assignment)
    assert (attempt.number, attempt.passed, attempt.score, attempt.quiz_id) == (
        1,
        True,
        Decimal("85.00"),
        package.quiz_id,
    )
    completion = Completion.objects.get(assignment=assignment)
    assert completion.attempt == attempt and completion.certificate_number
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.COMPLETED
    assert ModuleProgress.objects.filter(assignment=assignment, module=package.module).exists()
    state = ScormState.objects.get(assignment=assignment)
    assert state.total_seconds == Decimal("120.00")  # the SCO's own session time
    assert ScormInteraction.objects.get(state=state).is_correct is True
    # and the learner is told their certificate is ready
    run_dispatch()
    [notice] = _emails_to("learner@example.com")[-1:]
    assert completion.course.title in notice.body

    # and the course page shows the course completed
    page.get_by_test_id("scorm-status").get_by_role("link", name="Back to the course").click()
    expect(page.get_by_text(completion.certificate_number).or_(page.get_by_text("Certificate").first)).to_be_visible()


def test_a_12_package_failed_against_its_mastery_score_tells_the_manager_and_restarts(
    page: Page, live_server, scorm_storage
):
    # given the same package with two attempts allowed
    package = import_package(mastery_score=80, files=files_12(), rules={"max_attempts": 2})
    learner = _learner_with_manager()
    assignment = assign(package, learner=learner)
    log_in(page, live_server, "learner@example.com")

    # when they finish with 60
    _play_12(page, live_server, assignment, "60")

    # then the attempt is failed, the player says a new try starts from the beginning
    expect(page.get_by_test_id("scorm-status")).to_contain_text("Not passed (60%)")
    attempt = Attempt.objects.get(assignment=assignment)
    assert (attempt.number, attempt.passed, attempt.score) == (1, False, Decimal("60.00"))
    assert not Completion.objects.exists()
    # and the manager hears of the failure
    run_dispatch()
    manager_mail = _emails_to("manager@example.com")
    assert manager_mail, [message.to for message in mail.outbox]
    assert any(package.course.title in message.body for message in manager_mail)

    # when they come back: a fresh run, from the beginning
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/scorm/{package.module_id}/")
    expect(page.frame_locator("#scorm-frame").locator("#entry")).to_have_text("ab-initio")
    expect(page.frame_locator("#scorm-frame").locator("#status")).to_have_text("not attempted")

    # and a second fail uses up the attempts: the player says so and launches nothing
    content = page.frame_locator("#scorm-frame")
    content.get_by_label("Score").fill("70")
    content.get_by_role("button", name="Finish the lesson").click()
    expect(page.get_by_test_id("scorm-status")).to_contain_text("you have used all your attempts")
    page.reload()
    expect(page.get_by_test_id("scorm-refusal")).to_have_text("You have used all your attempts at this assessment.")
    expect(page.locator("#scorm-frame")).to_have_count(0)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.FAILED
    assert list(Attempt.objects.order_by("number").values_list("number", "passed")) == [(1, False), (2, False)]


def test_a_2004_multi_sco_package_completed_across_two_visits_with_resume(
    page: Page, live_server, scorm_storage, commits
):
    # given a two-SCO SCORM 2004 package (mastery 80: scaled passing score 0.8)
    package = import_package(
        version="2004-4", scos=["Part 1", "Part 2"], mastery_score=80, files=files_2004(), rules={"max_attempts": 2}
    )
    learner = _learner_with_manager()
    assignment = assign(package, learner=learner)
    log_in(page, live_server, "learner@example.com")
    context = page.context

    # visit 1: part 1 from the beginning, completed; its "continue" request leads to part 2
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/scorm/{package.module_id}/")
    toc = page.get_by_role("navigation", name="Contents")
    expect(toc.get_by_role("link", name="Part 1")).to_have_attribute("aria-current", "page")
    content = page.frame_locator("#scorm-frame")
    expect(content.locator("#entry")).to_have_text("ab-initio")
    expect(content.locator("#passing")).to_have_text("0.8")
    content.get_by_role("button", name="Complete this part").click()
    expect(page.get_by_role("navigation", name="Contents").get_by_role("link", name="Part 2")).to_have_attribute(
        "aria-current", "page"
    )
    assert not Attempt.objects.exists()

    # part 2: the learner goes to page 2 (set, not committed by the content) and closes the tab
    content = page.frame_locator("#scorm-frame")
    expect(content.locator("#entry")).to_have_text("ab-initio")
    content.get_by_role("button", name="Go to page 2").click()
    expect(content.locator("#status")).to_have_text("on page 2")
    page.close(run_before_unload=True)
    # the player's keep-alive request on leaving is what saves it
    _wait_for(lambda: any(data.get("cmi.location") == "page-2" for data in commits))
    assert ScormState.objects.get(item__title="Part 2").suspend_data == "progress=50;answers=Part 2"

    # visit 2, in a new tab: part 2 resumes where they left off
    page = context.new_page()
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/scorm/{package.module_id}/")
    content = page.frame_locator("#scorm-frame")
    expect(content.locator("#entry")).to_have_text("resume")
    expect(content.locator("#location")).to_have_text("page-2")
    expect(content.locator("#suspend")).to_have_text("progress=50;answers=Part 2")
    # the table of contents is usable by keyboard: part 1 shows as done
    toc = page.get_by_role("navigation", name="Contents")
    expect(toc.get_by_role("listitem").filter(has_text="Part 1")).to_contain_text("passed")
    content.get_by_label("Scaled score").fill("0.8")
    content.get_by_role("button", name="Complete this part").click()

    # then the package is finished: the mean of 0.9 and 0.8 passes
    expect(page.get_by_test_id("scorm-status")).to_contain_text("You passed with 85%")
    attempt = Attempt.objects.get(assignment=assignment)
    assert (attempt.number, attempt.passed, attempt.score) == (1, True, Decimal("85.00"))
    completion = Completion.objects.get(assignment=assignment)
    assert completion.certificate_number
    states = ScormState.objects.filter(assignment=assignment).order_by("item__order")
    assert [(s.item.title, s.completion, s.success, s.attempt_id) for s in states] == [
        ("Part 1", "completed", "passed", attempt.pk),
        ("Part 2", "completed", "passed", attempt.pk),
    ]
    assert set(ScormInteraction.objects.values_list("identifier", flat=True)) == {"q-Part 1", "q-Part 2"}
    run_dispatch()
    assert any(completion.course.title in message.body for message in _emails_to("learner@example.com"))


def test_the_table_of_contents_works_with_the_keyboard(page: Page, live_server, scorm_storage):
    package = import_package(version="2004-4", scos=["Part 1", "Part 2"], files=files_2004())
    assignment = assign(package, learner=_learner_with_manager())
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/scorm/{package.module_id}/")
    link = page.get_by_role("navigation", name="Contents").get_by_role("link", name="Part 2")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="Contents").get_by_role("link", name="Part 2")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.frame_locator("#scorm-frame").locator("h1")).to_have_text("Part 2")
