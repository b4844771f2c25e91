"""The learner preview of a course (courses/views/preview.py) and publishing's next step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.models import Assignment, Attempt, AttemptAnswer, Completion, ModuleProgress
from courses.models import Course, Quiz
from courses.services import authoring as services
from courses.tests import media
from courses.tests.factories import (
    ChoiceFactory,
    CourseFactory,
    LearningResourceFactory,
    ModuleFactory,
    QuestionFactory,
    QuizFactory,
)
from escalation.models import Notification
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

RECORDS = (Assignment, Attempt, AttemptAnswer, Completion, ModuleProgress, Notification, AuditEntry)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def draft():
    course = CourseFactory(status=Course.Status.DRAFT, description="About fire.", title="Fire safety")
    first = ModuleFactory(course=course, key="m1", title="Exits", body="<p>Know your <strong>exits</strong>.</p>")
    ModuleFactory(course=course, key="m2", title="Alarms")
    sheet = LearningResourceFactory(course=course, key="r1", title="Exit map")
    quiz = QuizFactory(course=course, title="Final assessment", kind=Quiz.Kind.FINAL)
    right = QuestionFactory(quiz=quiz, order=0, text="Where do you go?", objective=first, remediation_module=first)
    ChoiceFactory(question=right, order=0, text="Outside", is_correct=True, feedback="Yes: outside.")
    wrong = ChoiceFactory(question=right, order=1, text="The lift", is_correct=False, feedback="Never the lift.")
    second = QuestionFactory(
        quiz=quiz,
        order=1,
        text="Who calls?",
        explanation="The warden calls.",
        objective=first,
        remediation_resource=sheet,
    )
    good = ChoiceFactory(question=second, order=0, text="The warden", is_correct=True)
    ChoiceFactory(question=second, order=1, text="Nobody", is_correct=False)
    return {"course": course, "module": first, "quiz": quiz, "questions": (right, second), "wrong": wrong, "good": good}


def counts():
    return {model.__name__: model.objects.count() for model in RECORDS}


def test_an_admin_previews_a_draft_and_nothing_is_recorded(client, draft):
    course, module, quiz = draft["course"], draft["module"], draft["quiz"]
    right, second = draft["questions"]
    client.force_login(AdminFactory())
    before = counts()
    overview = client.get(reverse("authoring_course_preview", args=[course.pk]))
    assert overview.status_code == 200
    html = overview.content.decode()
    assert "Preview: nothing is recorded." in html and "Exits" in html and "Exit map" in html
    page = client.get(reverse("authoring_course_preview_module", args=[course.pk, module.pk])).content.decode()
    assert "Know your <strong>exits</strong>." in page and "Module 1 of 2" in page
    quiz_page = client.get(reverse("authoring_course_preview_quiz", args=[course.pk, quiz.pk])).content.decode()
    assert "Where do you go?" in quiz_page and "Outside" in quiz_page
    # The first answer wrong, the second right: the feedback a learner gets, marked in memory.
    result = client.post(
        reverse("authoring_course_preview_quiz", args=[course.pk, quiz.pk]),
        {f"q{right.pk}": [draft["wrong"].pk], f"q{second.pk}": [draft["good"].pk]},
    ).content.decode()
    assert "Not passed" in result
    assert "A learner with these answers would score 50%; the pass mark is 80%." in result
    assert "Never the lift." in result and "Review: Exits" in result
    assert counts() == before
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_a_passing_preview_says_passed_and_still_records_nothing(client, draft):
    course, quiz = draft["course"], draft["quiz"]
    right, second = draft["questions"]
    client.force_login(AdminFactory())
    before = counts()
    good_first = right.choices.get(is_correct=True)
    result = client.post(
        reverse("authoring_course_preview_quiz", args=[course.pk, quiz.pk]),
        {f"q{right.pk}": [good_first.pk], f"q{second.pk}": [draft["good"].pk, "junk", "99999999999999999999"]},
    ).content.decode()
    assert "Passed" in result and "would score 100%" in result
    assert counts() == before


def test_the_preview_shows_uploaded_files_and_the_video_without_recording_it(client, draft):
    course, module = draft["course"], draft["module"]
    services.module_update(
        module=module,
        data={"video": media.upload("intro.mp4", media.MP4), "attachment": media.upload("p.pdf", media.PDF)},
    )
    client.force_login(AdminFactory())
    html = client.get(reverse("authoring_course_preview_module", args=[course.pk, module.pk])).content.decode()
    assert reverse("course_file", args=["module", module.pk, "video"]) in html
    assert "data-watched-form" not in html  # the preview's video posts nothing
    assert "Open the document: p.pdf" in html


def test_preview_pages_are_for_admins_and_scoped_to_the_course(client, draft):
    course, module, quiz = draft["course"], draft["module"], draft["quiz"]
    other = CourseFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("authoring_course_preview", args=[course.pk])).status_code == 403
    client.force_login(AdminFactory())
    assert client.get(reverse("authoring_course_preview_module", args=[other.pk, module.pk])).status_code == 404
    assert client.get(reverse("authoring_course_preview_quiz", args=[other.pk, quiz.pk])).status_code == 404


def test_publishing_leads_to_assigning_the_course(client, draft):
    course = draft["course"]
    client.force_login(AdminFactory())
    response = client.post(reverse("authoring_course_publish", args=[course.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("assignments:assign") + f"?course={course.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "is published. Now choose who takes it." in page
    assert f'<option value="{course.pk}" selected>' in page
