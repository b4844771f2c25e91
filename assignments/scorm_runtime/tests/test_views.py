"""The player page, the commit endpoint and package files over HTTP, in both content modes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assignments.models import Attempt
from assignments.scorm_runtime.content import launch_token, package_uuid
from assignments.scorm_runtime.datamodel import MAX_COMMIT_BYTES
from assignments.scorm_runtime.models import ScormState
from assignments.scorm_runtime.tests.helpers import assign, first_sco, import_package, session_id
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

FILES = {
    "index.html": "<!DOCTYPE html><html><head><script>var x = 1;</script></head><body>Hello</body></html>",
    "app.js": "window.answer = 42;",
    "style.css": "body { color: black; }",
    "logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>",
    "video/intro.mp4": b"\x00\x00\x00\x18ftypmp42",
    "fonts/a.woff": b"wOFF",
}


@pytest.fixture
def played(scorm_storage):
    package = import_package(mastery_score=80, files=FILES, rules={"max_attempts": 2})
    assignment = assign(package)
    client = Client()
    client.force_login(assignment.learner)
    return package, assignment, client


def _commit(client, assignment, item, body, **extra):
    url = reverse("scorm_commit", args=[assignment.pk, item.pk])
    return client.post(
        url, data=body if isinstance(body, (str, bytes)) else json.dumps(body), content_type="application/json", **extra
    )


def _body(values, run=1, seq=1):
    return {"run": run, "session": session_id(), "seq": seq, "elapsed": 12.5, "cmi": values}


def test_the_player_page_launches_the_sco_with_its_data_and_the_site_policy(played):
    package, assignment, client = played
    response = client.get(reverse("scorm_player", args=[assignment.pk, package.module_id]))
    assert response.status_code == 200
    config = json.loads(
        response.content.decode().split('id="scorm-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["version"] == "1.2" and config["run"] == 1 and config["sco"] is True
    assert config["cmi"]["core"]["entry"] == "ab-initio"
    assert config["cmi"]["student_data"]["mastery_score"] == "80"
    assert config["commitUrl"] == reverse("scorm_commit", args=[assignment.pk, first_sco(package).pk])
    content_url = reverse("scorm_content", args=[package_uuid(package), "index.html"])
    assert f'data-src="{content_url}"' in response.content.decode()
    # the site's strict policy stays on the player page itself
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_the_module_page_of_a_package_leads_to_the_player(played):
    package, assignment, client = played
    response = client.get(reverse("player_module", args=[assignment.pk, package.module_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scorm_player", args=[assignment.pk, package.module_id])


def test_a_commit_is_recorded_and_a_pass_answers_with_the_result(played):
    package, assignment, client = played
    response = _commit(
        client,
        assignment,
        first_sco(package),
        _body({"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "90"}),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["recorded"] and body["finished"] and body["passed"] and "You passed with 90%" in body["message"]
    assert Attempt.objects.get(assignment=assignment).passed


def test_a_commit_for_someone_elses_assignment_is_404(played):
    package, assignment, _client = played
    other = Client()
    other.force_login(UserFactory())
    response = _commit(other, assignment, first_sco(package), _body({"cmi.core.lesson_status": "completed"}))
    assert response.status_code == 404
    assert not ScormState.objects.exists()


def test_a_commit_for_an_item_of_another_course_is_404(played, scorm_storage):
    _package, assignment, client = played
    other_package = import_package(mastery_score=50)
    response = _commit(client, assignment, first_sco(other_package), _body({"cmi.core.lesson_status": "completed"}))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ({"session": "abc", "cmi": {}}, "no run number"),
        ({"run": True, "session": "abcdefgh", "cmi": {}}, "no run number"),
        ({"run": 1, "session": "../../etc", "cmi": {}}, "session identifier"),
        ({"run": 1, "session": session_id(), "seq": "x", "cmi": {}}, "commit number"),
        ({"run": 1, "session": session_id(), "elapsed": "soon", "cmi": {}}, "elapsed time"),
        (
            {"run": 1, "session": session_id(), "cmi": {"cmi.core.lesson_status": "completed", "cmi.evil": "1"}},
            "cmi.evil",
        ),
    ],
)
def test_a_hostile_commit_is_400_and_writes_nothing(played, body, message):
    package, assignment, client = played
    response = _commit(client, assignment, first_sco(package), body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not ScormState.objects.exists() and not Attempt.objects.exists()


def test_a_huge_commit_is_refused_before_it_is_read(played):
    package, assignment, client = played
    big = json.dumps(_body({"cmi.suspend_data": "x" * (MAX_COMMIT_BYTES + 10)}))
    response = _commit(client, assignment, first_sco(package), big)
    assert response.status_code == 400 and "too large" in response.json()["error"]
    assert not ScormState.objects.exists()


def test_a_commit_without_the_csrf_token_is_refused(played):
    package, assignment, _client = played
    client = Client(enforce_csrf_checks=True)
    client.force_login(assignment.learner)
    response = _commit(client, assignment, first_sco(package), _body({"cmi.core.lesson_status": "completed"}))
    assert response.status_code == 403
    assert not ScormState.objects.exists()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("video/intro.mp4", "video/mp4"),
        ("fonts/a.woff", "font/woff"),
    ],
)
def test_package_files_are_served_with_their_type_and_their_own_policy(played, path, content_type):
    package, _assignment, client = played
    response = client.get(reverse("scorm_content", args=[package_uuid(package), path]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in policy
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy
    body = b"".join(response.streaming_content)
    expected = FILES[path]
    assert body == (expected.encode() if isinstance(expected, str) else expected)


@pytest.mark.parametrize("path", ["../imsmanifest.xml", "a/../../x", "missing.html", "video/", "a\\b.js"])
def test_paths_outside_the_package_or_missing_are_404(played, path):
    package, _assignment, client = played
    assert client.get(f"/scorm-content/{package_uuid(package)}/{path}").status_code == 404


def test_files_are_404_to_people_who_may_not_play_or_preview_the_course(played):
    package, _assignment, _client = played
    url = reverse("scorm_content", args=[package_uuid(package), "index.html"])
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(url).status_code == 404
    admin = Client()
    admin.force_login(AdminFactory())
    assert admin.get(url).status_code == 200  # admins preview
    assert Client().get(url).status_code == 302  # to sign in
    assert stranger.get("/scorm-content/" + "0" * 32 + "/index.html").status_code == 404


def test_a_separate_content_origin_frames_the_launch_page_and_refuses_the_session_route(played, settings):
    settings.SCORM_CONTENT_ORIGIN = "http://content.example.test"
    package, assignment, client = played
    response = client.get(reverse("scorm_player", args=[assignment.pk, package.module_id]))
    html = response.content.decode()
    assert 'data-src="http://content.example.test/scorm-launch/' in html
    assert "frame-src 'self' http://content.example.test" in response["Content-Security-Policy"]
    assert "cross-frame-lms.min.js" in html
    # the session route no longer serves files: package JavaScript never runs on the LMS's origin
    assert client.get(reverse("scorm_content", args=[package_uuid(package), "index.html"])).status_code == 404


def test_the_launch_page_and_token_files_work_without_a_session(played, settings):
    settings.SCORM_CONTENT_ORIGIN = "http://content.example.test"
    package, assignment, _client = played
    item = first_sco(package)
    token = launch_token(user=assignment.learner, package=package, parent_origin="http://lms.example.test")
    settings.ALLOWED_HOSTS = ["testserver", "content.example.test"]
    anonymous = Client(HTTP_HOST="content.example.test")  # these routes answer only on the content host
    launch = anonymous.get(reverse("scorm_launch", args=[token, item.pk]))
    assert launch.status_code == 200
    assert "frame-ancestors http://lms.example.test" in launch["Content-Security-Policy"]
    assert "'unsafe-inline'" not in launch["Content-Security-Policy"]
    assert "X-Frame-Options" not in launch
    html = launch.content.decode()
    assert 'data-parent-origin="http://lms.example.test"' in html and "cross-frame-api.min.js" in html
    sco_url = reverse("scorm_content_token", args=[token, "index.html"])
    assert f'data-src="{sco_url}"' in html
    file = anonymous.get(sco_url)
    assert file.status_code == 200 and file["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self' 'unsafe-inline'" in file["Content-Security-Policy"]


def test_a_forged_or_expired_token_is_404(played):
    package, assignment, _client = played
    item = first_sco(package)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)):
        token = launch_token(user=assignment.learner, package=package, parent_origin="http://lms.example.test")
    anonymous = Client()
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 59, tzinfo=dt.UTC)):
        assert anonymous.get(reverse("scorm_launch", args=[token, item.pk])).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 2, 13, 1, tzinfo=dt.UTC)):
        assert anonymous.get(reverse("scorm_launch", args=[token, item.pk])).status_code == 404
        assert anonymous.get(reverse("scorm_content_token", args=[token, "index.html"])).status_code == 404
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert anonymous.get(reverse("scorm_content_token", args=[forged, "index.html"])).status_code == 404


def test_a_token_of_someone_who_lost_access_is_404(played):
    package, assignment, _client = played
    stranger = UserFactory()
    token = launch_token(user=stranger, package=package, parent_origin="http://lms.example.test")
    assert Client().get(reverse("scorm_content_token", args=[token, "index.html"])).status_code == 404


def test_item_analysis_shows_the_packages_questions_with_their_correct_rate(played):
    package, assignment, client = played
    item = first_sco(package)
    for result in ("correct", "wrong", "correct"):
        learner_assignment = assign(package)
        learner = Client()
        learner.force_login(learner_assignment.learner)
        values = {
            "cmi.core.lesson_status": "incomplete",
            "cmi.interactions.0.id": "q-speak-up",
            "cmi.interactions.0.type": "choice",
            "cmi.interactions.0.student_response": "a",
            "cmi.interactions.0.result": result,
        }
        assert _commit(learner, learner_assignment, item, _body(values)).status_code == 200
    admin = Client()
    admin.force_login(AdminFactory())
    response = admin.get(reverse("reports_item_analysis"), {"course": package.course.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="scorm-item-table"' in html and "q-speak-up" in html
    assert '<td class="text-end" data-testid="scorm-correct-rate">66.66%</td>' in html
