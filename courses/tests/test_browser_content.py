"""Issue 15 in the browser: the body editor, a video watched to its end, publishing then assigning."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assignments.models import ModuleProgress
from courses.models import Course, Module
from courses.services import authoring as services
from courses.tests import media
from courses.tests.factories import (
    AssignmentFactory,
    ChoiceFactory,
    CourseFactory,
    ModuleFactory,
    QuestionFactory,
    QuizFactory,
)
from lms.tests.factories import TEST_PASSWORD, AdminFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_editor_writes_bold_text_and_a_list_saved_in_the_safe_subset(page: Page, live_server):
    course = CourseFactory(status=Course.Status.DRAFT)
    AdminFactory(email="admin@example.com")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/courses/authoring/{course.pk}/modules/new/")
    page.get_by_label("Title").fill("Reporting a breach")
    editor = page.get_by_role("textbox", name="Body editor")
    expect(editor).to_be_visible()
    expect(page.get_by_label("Body*", exact=True)).to_be_hidden()
    editor.click()
    page.keyboard.type("Report ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("within 72 hours")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Bulleted list").click()
    page.keyboard.type("Tell the DPO")
    page.keyboard.press("Enter")
    page.keyboard.type("Keep the evidence")
    # Tab leaves the editor (no keyboard trap).
    page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()
    page.get_by_role("button", name="Save module").click()
    expect(page.get_by_test_id("module-list")).to_contain_text("Reporting a breach")
    body = Module.objects.get(course=course).body
    assert body == (
        "<p>Report <strong>within 72 hours</strong></p><ul><li>Tell the DPO</li><li>Keep the evidence</li></ul>"
    )
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

    # Back in the form, the editor shows the saved body; its HTML view shows the same HTML.
    page.goto(f"{live_server.url}/courses/authoring/{course.pk}/modules/{Module.objects.get(course=course).pk}/")
    expect(page.get_by_role("textbox", name="Body editor").locator("strong")).to_have_text("within 72 hours")
    page.get_by_role("button", name="Edit as HTML").click()
    expect(page.get_by_label("Body*", exact=True)).to_have_value(body)


def test_the_body_form_still_works_without_javascript(browser, live_server):
    course = CourseFactory(status=Course.Status.DRAFT)
    AdminFactory(email="admin@example.com")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/courses/authoring/{course.pk}/modules/new/")
    page.get_by_label("Title").fill("Plain")
    page.get_by_label("Body*", exact=True).fill("<p>Typed <em>as HTML</em><script>x()</script></p>")
    page.get_by_role("button", name="Save module").click()
    expect(page.get_by_test_id("module-list")).to_contain_text("Plain")
    assert Module.objects.get(course=course).body == "<p>Typed <em>as HTML</em></p>"
    context.close()


def test_a_video_watched_to_the_end_marks_the_module_done(page: Page, live_server):
    course = CourseFactory(status=Course.Status.DRAFT)
    module = ModuleFactory(course=course, title="Watch")
    ModuleFactory(course=course, title="Next")
    services.module_update(
        module=module,
        data={"video": media.upload("clip.mp4", media.MP4), "captions": media.upload("c.vtt", media.VTT)},
    )
    Course.objects.filter(pk=course.pk).update(status=Course.Status.PUBLISHED)
    learner = UserFactory(email="learner@example.com")
    assignment = AssignmentFactory(course=course, learner=learner)
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/modules/{module.pk}/")
    video = page.get_by_test_id("module-video")
    expect(video).to_be_visible()
    expect(page.get_by_test_id("video-note")).to_have_text("Watching the video to the end marks this module as done.")
    # The test video is a header and filler, not something Chromium can decode and play to the
    # end, so the test fires the element's own `ended` event; the page's script and the server
    # do the rest.
    video.evaluate("v => v.dispatchEvent(new Event('ended'))")
    expect(video).to_have_attribute("data-watched", "true")
    progress = ModuleProgress.objects.get(assignment=assignment, module=module)
    assert progress.completed_at is not None
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/")
    expect(page.get_by_text("1 of 2")).to_be_visible()


def test_publishing_leads_to_the_assign_page_with_the_course_chosen(page: Page, live_server):
    course = CourseFactory(status=Course.Status.DRAFT, description="About it.", title="Fire wardens")
    module = ModuleFactory(course=course, key="m1")
    quiz = QuizFactory(course=course, title="Final assessment")
    question = QuestionFactory(quiz=quiz, text="Go where?", objective=module, remediation_module=module)
    ChoiceFactory(question=question, order=0, text="Out", is_correct=True)
    ChoiceFactory(question=question, order=1, text="In", is_correct=False)
    AdminFactory(email="admin@example.com")
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/courses/authoring/{course.pk}/")
    page.get_by_role("link", name="Preview as a learner").click()
    expect(page.get_by_test_id("preview-banner")).to_contain_text("Preview: nothing is recorded.")
    page.get_by_role("link", name="Back to the course editor").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("is published. Now choose who takes it.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assign")
    expect(page.get_by_label("Course")).to_have_value(str(course.pk))
