"""What an outside tester found in the SCORM player in the production configuration (issue 15):
files on a separate content origin framed by the player, the course page's next step for a
package-graded course, and the manager's fail email for a package's attempt."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from assignments.models import Attempt
from assignments.scorm_runtime.content import launch_token
from assignments.scorm_runtime.tests.helpers import assign, commit, first_sco, import_package
from escalation.dispatch import run_dispatch
from escalation.workflows.failures import follow_up_attempts
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

FAIL_12 = {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "60", "cmi.core.exit": ""}


@pytest.fixture
def failed(scorm_storage):
    """A learner (with a manager) who failed attempt 1 of 2 at a SCORM 1.2 package graded at 80."""
    package = import_package(mastery_score=80, rules={"max_attempts": 2})
    manager = UserFactory(email="manager@example.com", first_name="Mona")
    assignment = assign(package, learner=UserFactory(first_name="Lee", last_name="Learner", manager=manager))
    commit(assignment, first_sco(package), FAIL_12)
    assert Attempt.objects.get(assignment=assignment).passed is False
    client = Client()
    client.force_login(assignment.learner)
    return package, assignment, client


def test_token_files_may_be_framed_by_the_player_on_the_site_origin(scorm_storage, settings):
    # given a separate content origin and a launch token issued to the player on the site origin
    settings.SCORM_CONTENT_ORIGIN = "http://localhost:8000"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    package = import_package(mastery_score=80)
    assignment = assign(package)
    token = launch_token(user=assignment.learner, package=package, parent_origin="http://127.0.0.1:8000")

    # when the launch page (content origin) asks for the package's file
    response = Client().get(
        reverse("scorm_content_token", args=[token, first_sco(package).launch_path]), HTTP_HOST="localhost:8000"
    )

    # then frame-ancestors names the content origin and the player's; no SAMEORIGIN overrides it
    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    assert policy["frame-ancestors"] == "'self' http://127.0.0.1:8000"
    assert "X-Frame-Options" not in response


def test_same_origin_files_keep_self_and_sameorigin(scorm_storage):
    from assignments.scorm_runtime.content import package_uuid

    package = import_package(mastery_score=80)
    assignment = assign(package)
    client = Client()
    client.force_login(assignment.learner)
    response = client.get(reverse("scorm_content", args=[package_uuid(package), first_sco(package).launch_path]))
    assert response.status_code == 200
    assert "frame-ancestors 'self';" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_after_failing_a_package_the_next_step_leads_to_its_player_which_starts_afresh(failed):
    package, assignment, client = failed
    player = reverse("scorm_player", args=[assignment.pk, package.module_id])

    # when the learner opens the course page
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()

    # then the next step's retake is a link to the package's player, not the native quiz start
    next_step = page.split('data-testid="next-step"')[1].split("</section>")[0]
    assert f'href="{player}"' in next_step and "Retake the assessment" in next_step
    assert reverse("player_quiz_start", args=[assignment.pk, package.quiz_id]) not in page

    # and the player launches a new run from the beginning
    response = client.get(player)
    config = json.loads(response.content.decode().split('type="application/json">')[1].split("</script>")[0])
    assert (config["run"], config["cmi"]["core"]["entry"], config["cmi"]["core"]["lesson_status"]) == (
        2,
        "ab-initio",
        "not attempted",
    )


def test_the_first_start_of_a_package_graded_course_leads_to_its_player(scorm_storage):
    package = import_package(mastery_score=80)
    assignment = assign(package)
    client = Client()
    client.force_login(assignment.learner)
    page = client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert reverse("player_quiz_start", args=[assignment.pk, package.quiz_id]) not in page
    assert reverse("scorm_player", args=[assignment.pk, package.module_id]) in page


def test_a_post_to_the_native_start_of_a_package_quiz_goes_to_the_player_and_starts_nothing(failed):
    package, assignment, client = failed
    response = client.post(reverse("player_quiz_start", args=[assignment.pk, package.quiz_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scorm_player", args=[assignment.pk, package.module_id])
    assert Attempt.objects.filter(assignment=assignment).count() == 1


def test_the_managers_fail_email_for_a_package_does_not_claim_the_lms_showed_what_was_wrong(failed):
    package, assignment, _client = failed
    follow_up_attempts([Attempt.objects.get(assignment=assignment).pk])  # what the receivers do on commit
    run_dispatch()
    [email] = [message for message in mail.outbox if "manager@example.com" in message.to]
    assert package.course.title in email.body
    assert "They have been shown what they got wrong" not in email.body
    assert "the LMS showed them their score only" in email.body


def test_the_import_message_counts_one_item_in_the_singular(client, scorm_storage):
    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.scorm.testing import build_package
    from courses.scorm.tests.test_views import RULES

    client.force_login(AdminFactory())
    response = client.post(
        reverse("scorm_import_course"),
        {"package": SimpleUploadedFile("p.zip", build_package(title="Bribery"), "application/zip"), **RULES},
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "(SCORM 1.2, 1 item)" in message


def test_the_authoring_page_offers_no_question_for_a_package_played_assessment(client, scorm_storage):
    package = import_package(mastery_score=80)
    client.force_login(AdminFactory())
    page = client.get(reverse("authoring_course_detail", args=[package.course_id])).content.decode()
    assert 'data-testid="quiz-scorm"' in page and "It needs no questions" in page
    assert reverse("authoring_question_create", args=[package.course_id, package.quiz_id]) not in page


def test_item_analysis_says_the_package_questions_are_below_instead_of_none(scorm_storage):
    package = import_package(mastery_score=80)
    assignment = assign(package)
    values = {
        "cmi.core.lesson_status": "incomplete",
        "cmi.interactions.0.id": "q-speak-up",
        "cmi.interactions.0.type": "choice",
        "cmi.interactions.0.student_response": "a",
        "cmi.interactions.0.result": "wrong",
    }
    commit(assignment, first_sco(package), values)
    admin = Client()
    admin.force_login(AdminFactory())
    html = admin.get(reverse("reports_item_analysis"), {"course": package.course.code}).content.decode()
    assert "q-speak-up" in html
    assert "This course has no questions." not in html
    assert "No questions of its own; the package's questions are below." in html


def test_the_module_body_is_labelled_body_and_its_help_names_only_what_the_toolbar_offers(client):
    from courses.models import Course
    from courses.tests.factories import CourseFactory

    course = CourseFactory(status=Course.Status.DRAFT)
    client.force_login(AdminFactory())
    html = client.get(reverse("authoring_module_create", args=[course.pk])).content.decode()
    label = html.split('for="id_body"')[1].split("</label>")[0]
    assert label.split(">", 1)[1].strip().startswith("Body") and "HTML" not in label
    assert "tables" not in html and "bulleted and numbered lists" in html
