"""Issue 15 (outside tester): with a separate content origin, package files and the launch page are
never served on the LMS's own host, where package JavaScript would run with the learner's session."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assignments.scorm_runtime.content import launch_token, package_uuid
from assignments.scorm_runtime.tests.helpers import assign, first_sco, import_package
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_urls(scorm_storage, settings):
    settings.SCORM_CONTENT_ORIGIN = "https://content.example.test"
    settings.ALLOWED_HOSTS = ["lms.example.test", "content.example.test", "content.example.test:8443"]
    package = import_package()
    learner = UserFactory()
    assign(package, learner=learner)
    token = launch_token(user=learner, package=package, parent_origin="https://lms.example.test")
    return (
        package,
        learner,
        [
            reverse("scorm_content_token", args=[token, "index.html"]),
            reverse("scorm_launch", args=[token, first_sco(package).pk]),
        ],
    )


def test_token_files_and_the_launch_page_are_404_on_the_site_host(token_urls):
    package, learner, urls = token_urls
    site = Client(HTTP_HOST="lms.example.test")
    site.force_login(learner)
    for url in urls:
        assert site.get(url, secure=True).status_code == 404, url
    # the session route stays closed in this mode too
    assert (
        site.get(reverse("scorm_content", args=[package_uuid(package), "index.html"]), secure=True).status_code == 404
    )


def test_they_answer_on_the_content_host_only_with_its_scheme_and_port(token_urls):
    _package, _learner, urls = token_urls
    content = Client(HTTP_HOST="content.example.test")
    for url in urls:
        assert content.get(url, secure=True).status_code == 200, url
    plain_http = Client(HTTP_HOST="content.example.test")
    other_port = Client(HTTP_HOST="content.example.test:8443")
    for url in urls:
        assert plain_http.get(url).status_code == 404, url
        assert other_port.get(url, secure=True).status_code == 404, url
