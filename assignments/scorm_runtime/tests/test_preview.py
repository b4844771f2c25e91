"""An admin's preview of a SCORM module (issue 15): the learner's player, the run-time API running,
nothing sent to or stored by the server."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from assignments.models import Assignment, Attempt, Completion, ModuleProgress
from assignments.scorm_runtime.content import package_uuid
from assignments.scorm_runtime.models import ScormState
from assignments.scorm_runtime.tests.content import files_12
from assignments.scorm_runtime.tests.helpers import first_sco, import_package
from courses.models import Module
from courses.tests.factories import make_course
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.test_browser import log_in

pytestmark = pytest.mark.django_db


def _config(response) -> dict:
    return json.loads(
        response.content.decode().split('id="scorm-config" type="application/json">')[1].split("</script>")[0]
    )


def _nothing_recorded() -> bool:
    return not (
        ScormState.objects.exists()
        or Attempt.objects.exists()
        or Completion.objects.exists()
        or Assignment.objects.exists()
        or ModuleProgress.objects.exists()
    )


def _url(package) -> str:
    return reverse("scorm_preview", args=[package.course_id, package.module_id])


def test_an_admin_previews_a_scorm_module_with_the_player_and_no_commit_url(scorm_storage):
    package = import_package(mastery_score=80, files=files_12())
    client = Client()
    client.force_login(AdminFactory(first_name="Ada", last_name="Admin"))

    response = client.get(_url(package))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: nothing is recorded." in html
    assert 'id="scorm-frame"' in html and "scorm-player.js" in html and "scorm12.min.js" in html
    config = _config(response)
    assert config["commitUrl"] == "" and config["preview"] is True and config["sco"] is True
    assert config["cmi"]["core"]["entry"] == "ab-initio" and config["cmi"]["core"]["student_name"] == "Admin, Ada"
    assert reverse("scorm_content", args=[package_uuid(package), first_sco(package).launch_path]) in html
    assert _nothing_recorded()
    # the package's files come through the file route for the admin
    assert client.get(reverse("scorm_content", args=[package_uuid(package), "index.html"])).status_code == 200


def test_the_course_preview_of_the_module_links_to_the_package_preview(scorm_storage):
    package = import_package(files=files_12())
    client = Client()
    client.force_login(AdminFactory())
    response = client.get(reverse("authoring_course_preview_module", args=[package.course_id, package.module_id]))
    assert response.status_code == 200 and _url(package) in response.content.decode()


def test_a_learner_may_not_preview(scorm_storage):
    package = import_package(files=files_12())
    client = Client()
    client.force_login(UserFactory())
    assert client.get(_url(package)).status_code == 403


def test_a_module_that_is_not_scorm_or_not_in_the_course_is_404(scorm_storage):
    package = import_package(files=files_12())
    other = make_course()
    plain = Module.objects.filter(course=other).first() or Module.objects.create(course=other, title="Plain", order=1)
    client = Client()
    client.force_login(AdminFactory())
    assert client.get(reverse("scorm_preview", args=[other.pk, plain.pk])).status_code == 404
    assert client.get(reverse("scorm_preview", args=[other.pk, package.module_id])).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_12_package_plays_in_the_preview_and_nothing_is_written(page: Page, live_server, scorm_storage):
    # given a SCORM 1.2 package whose page sets values and commits on loading and on finishing
    package = import_package(mastery_score=80, files=files_12())
    AdminFactory(email="admin@example.com", first_name="Ada", last_name="Admin")
    log_in(page, live_server, "admin@example.com")
    commits: list[str] = []
    page.on("request", lambda request: commits.append(request.url) if request.method == "POST" else None)

    # when the admin opens the module's preview and plays the package to the end
    expect(page.get_by_role("heading", name="Welcome, Ada")).to_be_visible()
    page.goto(live_server.url + reverse("authoring_course_preview_module", args=[package.course_id, package.module_id]))
    page.get_by_test_id("scorm-preview-link").click()
    expect(page.get_by_test_id("preview-banner")).to_contain_text("Preview: nothing is recorded.")
    content = page.frame_locator("#scorm-frame")
    expect(content.locator("#entry")).to_have_text("ab-initio")
    expect(content.locator("#student")).to_have_text("Admin, Ada")
    content.get_by_label("Score").fill("85")
    content.get_by_role("button", name="Finish the lesson").click()
    expect(content.locator("#status")).to_have_text("finished")

    # then the run-time API took the commits in the page, and nothing went to the server
    expect(page.locator("body")).to_have_attribute("data-scorm-preview-commits", "2")
    page.goto(f"{live_server.url}/")
    assert commits == []
    assert _nothing_recorded()
