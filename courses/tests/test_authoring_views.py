"""Authoring pages: permissions on every URL, the forms and actions, package upload and download,
and bounded queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Choice, Course, LearningResource, Module, Question, Quiz
from courses.services.packages import course_export_package
from courses.tests.factories import (
    AssignmentFactory,
    CourseFactory,
    LearningResourceFactory,
    ModuleFactory,
    QuizFactory,
    make_course,
    make_question,
)
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def draft():
    course = CourseFactory(status=Course.Status.DRAFT, description="About.")
    module = ModuleFactory(course=course, key="m1")
    resource = LearningResourceFactory(course=course, key="r1")
    quiz = QuizFactory(course=course)
    question = make_question(quiz, objective=module, remediation_module=module)
    return {"course": course, "module": module, "resource": resource, "quiz": quiz, "question": question}


def _urls(d) -> list[tuple[str, str]]:
    c, m, r, q, qu = d["course"].pk, d["module"].pk, d["resource"].pk, d["quiz"].pk, d["question"].pk
    return [
        ("get", reverse("authoring_course_list")),
        ("get", reverse("authoring_course_create")),
        ("get", reverse("authoring_course_import")),
        ("get", reverse("authoring_course_detail", args=[c])),
        ("get", reverse("authoring_course_edit", args=[c])),
        ("get", reverse("authoring_course_export", args=[c])),
        ("get", reverse("authoring_module_create", args=[c])),
        ("get", reverse("authoring_module_edit", args=[c, m])),
        ("get", reverse("authoring_resource_create", args=[c])),
        ("get", reverse("authoring_resource_edit", args=[c, r])),
        ("get", reverse("authoring_quiz_create", args=[c])),
        ("get", reverse("authoring_quiz_edit", args=[c, q])),
        ("get", reverse("authoring_question_create", args=[c, q])),
        ("get", reverse("authoring_question_edit", args=[c, q, qu])),
        ("get", reverse("authoring_course_preview", args=[c])),
        ("get", reverse("authoring_course_preview_module", args=[c, m])),
        ("get", reverse("authoring_course_preview_resource", args=[c, r])),
        ("get", reverse("authoring_course_preview_quiz", args=[c, q])),
        ("post", reverse("authoring_course_publish", args=[c])),
        ("post", reverse("authoring_course_unpublish", args=[c])),
        ("post", reverse("authoring_course_new_version", args=[c])),
        ("post", reverse("authoring_module_move", args=[c, m, "down"])),
        ("post", reverse("authoring_module_delete", args=[c, m])),
        ("post", reverse("authoring_resource_delete", args=[c, r])),
        ("post", reverse("authoring_quiz_delete", args=[c, q])),
        ("post", reverse("authoring_question_delete", args=[c, q, qu])),
    ]


URL_COUNT = 26


def test_every_authoring_url_is_listed_here():
    from courses.urls_authoring import urlpatterns

    # The SCORM import pages (an include of courses.scorm.urls) have their own tests.
    assert len([pattern for pattern in urlpatterns if not hasattr(pattern, "url_patterns")]) == URL_COUNT


@pytest.mark.parametrize("index", range(URL_COUNT))
def test_learner_gets_403_and_anonymous_is_sent_to_login(client, draft, index):
    method, url = _urls(draft)[index]
    before = {model: model.objects.count() for model in (Course, Module, LearningResource, Quiz, Question)}
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(UserFactory())
    assert getattr(client, method)(url).status_code == 403
    assert {model: model.objects.count() for model in before} == before
    assert Course.objects.get(pk=draft["course"].pk).status == Course.Status.DRAFT


@pytest.mark.parametrize("index", range(18))
def test_admin_gets_every_page(admin_client, draft, index):
    method, url = _urls(draft)[index]
    assert method == "get"
    response = admin_client.get(url)
    assert response.status_code == 200
    if response["Content-Type"].startswith("text/html"):
        # Strict Content-Security-Policy: no inline styles or scripts.
        content = response.content.decode()
        assert "style=" not in content
        assert "<script>" not in content and "onclick" not in content


@pytest.mark.parametrize("index", range(18, URL_COUNT))
def test_admin_actions_redirect_and_refuse_get(admin_client, draft, index):
    method, url = _urls(draft)[index]
    assert method == "post"
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url)
    assert response.status_code == 302


def test_objects_of_another_course_are_404(admin_client, draft):
    other = CourseFactory(status=Course.Status.DRAFT)
    url = reverse("authoring_module_edit", args=[other.pk, draft["module"].pk])
    assert admin_client.get(url).status_code == 404


def test_nav_shows_courses_to_admins_only(admin_client, client):
    assert 'href="/courses/authoring/"' in admin_client.get(reverse("home")).content.decode()
    client.force_login(UserFactory())
    assert 'href="/courses/authoring/"' not in client.get(reverse("home")).content.decode()


def _course_form(**overrides):
    data = {
        "code": "NEW-101",
        "title": "A new course",
        "description": "What it covers.",
        "pass_mark": 75,
        "max_attempts": "",
        "unlimited_attempts": "on",
        "cooldown_first_minutes": 0,
        "cooldown_later_minutes": 60,
        "grading_method": "highest",
        "compliance_critical": "on",
        "default_due_days": 14,
        "recertification_months": 12,
        "recertification_window_days": 30,
        "expiry_rule": "from_completion",
        "fixed_expiry_month": "",
        "fixed_expiry_day": "",
        "grace_days": 3,
        "cpd_points": "1.25",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_draft_course_with_its_rules(admin_client):
    response = admin_client.post(reverse("authoring_course_create"), _course_form())
    course = Course.objects.get(code="NEW-101")
    assert response.status_code == 302
    assert response["Location"] == reverse("authoring_course_detail", args=[course.pk])
    assert (course.status, course.version, course.max_attempts, course.pass_mark) == ("draft", 1, None, 75)
    assert (course.compliance_critical, course.default_due_days, course.grace_days) == (True, 14, 3)
    assert str(course.cpd_points) == "1.25"


def test_course_form_shows_rule_errors_and_saves_nothing(admin_client):
    response = admin_client.post(
        reverse("authoring_course_create"),
        _course_form(expiry_rule="fixed_date", unlimited_attempts="", max_attempts=""),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "A fixed-date expiry needs a month and a day." in content
    assert "Enter the maximum attempts" in content
    assert not Course.objects.filter(code="NEW-101").exists()


def test_admin_adds_a_module_with_a_key_made_from_the_title(admin_client, draft):
    course = draft["course"]
    response = admin_client.post(
        reverse("authoring_module_create", args=[course.pk]),
        {
            "title": "Second Module: Rules",
            "key": "",
            "body": "<p>Hi</p>",
            "video_url": "",
            "file_url": "",
            "estimated_minutes": 10,
        },
    )
    assert response.status_code == 302
    module = course.modules.get(title="Second Module: Rules")
    assert (module.key, module.order) == ("second-module-rules", draft["module"].order + 1)


def test_module_form_refuses_http_links(admin_client, draft):
    response = admin_client.post(
        reverse("authoring_module_create", args=[draft["course"].pk]),
        {
            "title": "M",
            "key": "m2",
            "body": "<p>Hi</p>",
            "video_url": "http://example.org/v",
            "file_url": "",
            "estimated_minutes": 10,
        },
    )
    assert response.status_code == 200
    assert "Enter an absolute https:// link." in response.content.decode()
    assert draft["course"].modules.count() == 1


def test_move_buttons_reorder_modules(admin_client, draft):
    course = draft["course"]
    second = ModuleFactory(course=course, key="m2")
    admin_client.post(reverse("authoring_module_move", args=[course.pk, second.pk, "up"]))
    assert list(course.modules.order_by("order").values_list("key", flat=True)) == ["m2", "m1"]
    assert (
        admin_client.post(reverse("authoring_module_move", args=[course.pk, second.pk, "sideways"])).status_code == 404
    )


def test_question_page_saves_question_and_choices_with_the_formset(admin_client, draft):
    course, quiz, module = draft["course"], draft["quiz"], draft["module"]
    data = {
        "kind": "single",
        "text": "Which one?",
        "explanation": "This one.",
        "objective": module.pk,
        "remediation_module": module.pk,
        "remediation_resource": "",
        "choices-TOTAL_FORMS": 3,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
        "choices-0-text": "Right",
        "choices-0-is_correct": "on",
        "choices-0-feedback": "Yes.",
        "choices-1-text": "Wrong",
        "choices-1-feedback": "No.",
        "choices-2-text": "",
    }
    response = admin_client.post(reverse("authoring_question_create", args=[course.pk, quiz.pk]), data)
    assert response.status_code == 302
    question = quiz.questions.get(text="Which one?")
    assert list(question.choices.values_list("text", "is_correct", "feedback")) == [
        ("Right", True, "Yes."),
        ("Wrong", False, "No."),
    ]


def test_question_page_refuses_duplicate_choice_texts(admin_client, draft):
    course, quiz, module = draft["course"], draft["quiz"], draft["module"]
    data = {
        "kind": "single",
        "text": "Dup?",
        "explanation": "E",
        "objective": module.pk,
        "remediation_module": module.pk,
        "remediation_resource": "",
        "choices-TOTAL_FORMS": 2,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
        "choices-0-text": "Same",
        "choices-1-text": "Same",
    }
    response = admin_client.post(reverse("authoring_question_create", args=[course.pk, quiz.pk]), data)
    assert response.status_code == 200
    assert "Two choices of a question cannot have the same text." in response.content.decode()
    assert not quiz.questions.filter(text="Dup?").exists()


def test_publish_shows_every_problem_and_changes_nothing(admin_client, draft):
    course = draft["course"]
    Choice.objects.filter(question=draft["question"]).update(is_correct=False)
    response = admin_client.post(reverse("authoring_course_publish", args=[course.pk]), follow=True)
    content = response.content.decode()
    assert "Not published. Fix these problems first:" in content
    assert "a single-choice question needs exactly one correct choice" in content
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_publish_then_new_version(admin_client, draft):
    course = draft["course"]
    admin_client.post(reverse("authoring_course_publish", args=[course.pk]))
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED
    # the published version's editor is read-only
    page = admin_client.get(reverse("authoring_course_detail", args=[course.pk])).content.decode()
    assert "Add a module" not in page and "New version" in page
    response = admin_client.post(reverse("authoring_course_new_version", args=[course.pk]))
    new = Course.objects.get(code=course.code, version=2)
    assert response["Location"] == reverse("authoring_course_detail", args=[new.pk])
    assert new.status == Course.Status.DRAFT


def test_export_downloads_the_package_with_its_file_name(admin_client):
    course = make_course(code="EXP-1", version=3)
    response = admin_client.get(reverse("authoring_course_export", args=[course.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="EXP-1-v3.json"'
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == course_export_package(course=course)


def _upload(content: bytes, name: str = "package.json"):
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_import_upload_creates_the_course(admin_client):
    content = (PACKAGES / "HS-101.json").read_bytes()
    # a hostile file name is never used as a path
    response = admin_client.post(
        reverse("authoring_course_import"), {"package": _upload(content, "../../etc/passwd.json"), "publish": "on"}
    )
    course = Course.objects.get(code="HS-101")
    assert response.status_code == 302
    assert course.status == Course.Status.PUBLISHED
    assert course_export_package(course=course) == json.loads(content)


def test_import_upload_lists_problems_and_imports_nothing(admin_client):
    package = json.loads((PACKAGES / "GDPR-101.json").read_text(encoding="utf-8"))
    for choice in package["quizzes"][0]["questions"][3]["choices"]:
        choice["correct"] = False
    response = admin_client.post(reverse("authoring_course_import"), {"package": _upload(json.dumps(package).encode())})
    assert response.status_code == 200
    assert "quizzes[0].questions[3].choices: a single-choice question needs exactly one correct choice" in (
        response.content.decode()
    )
    assert Course.objects.count() == 0


def test_import_upload_refuses_non_json_and_large_files(admin_client, settings):
    response = admin_client.post(reverse("authoring_course_import"), {"package": _upload(b"<html>")})
    assert "The file is not valid JSON" in response.content.decode()
    settings.UPLOAD_MAX_BYTES = 100
    response = admin_client.post(reverse("authoring_course_import"), {"package": _upload(b" " * 101)})
    assert "The file is too large" in response.content.decode()
    assert Course.objects.count() == 0


def _populate(courses: int, questions: int) -> Course:
    course = None
    for _ in range(courses):
        course = make_course(questions=questions, modules=3)
        AssignmentFactory(course=course)
        QuizFactory(course=course, kind=Quiz.Kind.PRETEST, title="Pre-test")
        for _ in range(questions):
            make_question(course.quizzes.get(kind=Quiz.Kind.PRETEST))
    return course


def test_course_list_queries_are_bounded(admin_client, django_assert_max_num_queries):
    # session, user, count, "has a team", unread notices, the menu's CPD approvals waiting (issue 17), the list
    _populate(2, 2)
    with django_assert_max_num_queries(7):
        assert admin_client.get(reverse("authoring_course_list")).status_code == 200
    _populate(20, 6)
    with django_assert_max_num_queries(7):
        response = admin_client.get(reverse("authoring_course_list"))
    assert response.content.decode().count("<tr>") == 22 + 1


@pytest.mark.parametrize("publish", [False, True])
def test_course_editor_queries_are_bounded(admin_client, django_assert_max_num_queries, publish):
    small = _populate(1, 2)
    large = _populate(1, 25)
    if not publish:
        Course.objects.filter(pk__in=[small.pk, large.pk]).update(status=Course.Status.DRAFT)
    for course in (small, large):
        with django_assert_max_num_queries(20):
            response = admin_client.get(reverse("authoring_course_detail", args=[course.pk]))
        assert response.status_code == 200
    assert response.content.decode().count('id="question-') == 50


def test_course_list_search_matches_code_or_title(admin_client):
    CourseFactory(code="GDPR-101", title="Data protection")
    CourseFactory(code="HS-101", title="Health and safety")
    page = admin_client.get(reverse("authoring_course_list"), {"q": "health"}).content.decode()
    assert "HS-101" in page and "GDPR-101" not in page


# The Django admin fallback


@pytest.fixture
def superuser_client(client):
    client.force_login(AdminFactory(is_superuser=True))
    return client


def test_django_admin_edits_drafts_and_shows_published_courses_read_only(superuser_client, draft):
    course = draft["course"]
    published = make_course()
    assert superuser_client.get(reverse("admin:courses_course_changelist")).status_code == 200
    draft_page = superuser_client.get(reverse("admin:courses_course_change", args=[course.pk])).content.decode()
    assert 'name="title"' in draft_page
    published_page = superuser_client.get(reverse("admin:courses_course_change", args=[published.pk]))
    assert published_page.status_code == 200
    assert 'name="title"' not in published_page.content.decode()
    for name in ("module", "learningresource", "quiz", "question", "choice"):
        assert superuser_client.get(reverse(f"admin:courses_{name}_changelist")).status_code == 200
    # Progress through modules belongs to an assignment (the assignments app).
    assert superuser_client.get(reverse("admin:assignments_moduleprogress_changelist")).status_code == 200
    question = draft["question"]
    assert superuser_client.get(reverse("admin:courses_question_change", args=[question.pk])).status_code == 200


def test_django_admin_publish_action_validates(superuser_client, draft):
    course = draft["course"]
    Choice.objects.filter(question=draft["question"]).update(is_correct=False)
    response = superuser_client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish_selected", "_selected_action": [course.pk]},
        follow=True,
    )
    assert "a single-choice question needs exactly one correct choice" in response.content.decode()
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_a_choice_row_with_feedback_but_no_text_is_an_error(admin_client, draft):
    course, quiz, module = draft["course"], draft["quiz"], draft["module"]
    data = {
        "kind": "single",
        "text": "Half?",
        "explanation": "E",
        "objective": module.pk,
        "remediation_module": module.pk,
        "remediation_resource": "",
        "choices-TOTAL_FORMS": 2,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
        "choices-0-text": "Fine",
        "choices-1-text": "",
        "choices-1-feedback": "Orphan feedback",
    }
    response = admin_client.post(reverse("authoring_question_create", args=[course.pk, quiz.pk]), data)
    assert response.status_code == 200
    assert "Write the text of this choice, or clear the row." in response.content.decode()
    assert not quiz.questions.filter(text="Half?").exists()


def test_a_course_with_no_modules_asks_for_a_module_before_its_first_question(admin_client):
    # given a draft course with a final assessment and no module yet
    course = CourseFactory(status=Course.Status.DRAFT, description="About.")
    quiz = QuizFactory(course=course)
    create = reverse("authoring_question_create", args=[course.pk, quiz.pk])

    detail = admin_client.get(reverse("authoring_course_detail", args=[course.pk])).content.decode()
    page = admin_client.get(create)
    posted = admin_client.post(create, {"kind": "single", "text": "Q?", "explanation": "Because."})

    assert create not in detail  # no "Add the first question" that can only fail
    assert "Add a module first: a question links to the module to review." in detail
    for response in (page, posted):
        html = response.content.decode()
        assert response.status_code == 200
        assert "Add a module first: a question links to the module to review." in html
        assert reverse("authoring_module_create", args=[course.pk]) in html
        assert "This field is required." not in html
        assert "Choose exactly one review link" not in html
    assert not Question.objects.filter(quiz=quiz).exists()


def test_the_course_page_lists_a_module_by_title_and_duration_not_its_key(admin_client):
    course = CourseFactory(status=Course.Status.DRAFT, description="About.")
    ModuleFactory(course=course, key="module-one", title="Module one", estimated_minutes=15)

    html = admin_client.get(reverse("authoring_course_detail", args=[course.pk])).content.decode()

    assert 'Module one <small class="text-body-secondary">(15 min)</small>' in html
    assert "module-one," not in html


def test_a_new_course_form_starts_with_three_attempts_and_saves_as_it_opens(admin_client):
    page = admin_client.get(reverse("authoring_course_create"))
    form = page.context["form"]

    assert form["max_attempts"].value() == 3
    assert 'name="max_attempts" value="3"' in page.content.decode()
    response = admin_client.post(
        reverse("authoring_course_create"),
        _course_form(unlimited_attempts="", max_attempts=form["max_attempts"].value()),
    )
    assert response.status_code == 302
    assert Course.objects.get(code="NEW-101").max_attempts == 3
