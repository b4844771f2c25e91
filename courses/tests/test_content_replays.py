"""Bugs reported against other projects' course content, replayed here (issue 15).

- Lumieducation/H5P-Nodejs-library#604: seeking an interactive video failed because the content
  server ignored Chrome's ``Range: bytes=N-`` with ``If-Range``.
- twentyhq/twenty#24517: a file endpoint answered every request 200 without Accept-Ranges or
  Content-Length, so ``video.seekable`` was empty; malformed and multi-range headers must fall
  back to a plain 200.
- Meeds-io/social#5814: a rich-text editor loaded stored content without sanitising it first.
- Gluejar/regluit#1200: the editor's own filtering runs in the browser and is bypassable; only the
  server's sanitising counts.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from courses.models import Course, Module
from courses.services import authoring as services
from courses.tests import media
from courses.tests.factories import CourseFactory, ModuleFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def video_url():
    course = CourseFactory(status=Course.Status.DRAFT)
    module = ModuleFactory(course=course)
    services.module_update(module=module, data={"video": media.upload("clip.mp4", media.MP4)})
    return reverse("course_file", args=["module", module.pk, "video"])


def test_h5p_604_chrome_range_with_if_range_is_honoured(client, video_url):
    client.force_login(AdminFactory())
    etag = client.head(video_url)["ETag"]
    response = client.get(
        video_url, HTTP_RANGE="bytes=819-", HTTP_IF_RANGE=etag, HTTP_ACCEPT_ENCODING="identity;q=1, *;q=0"
    )
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 819-{len(media.MP4) - 1}/{len(media.MP4)}"
    assert b"".join(response.streaming_content) == media.MP4[819:]


@pytest.mark.parametrize("header", ["", "bytes=abc", "items=0-5", "bytes=0-1,4-5", "bytes=-"])
def test_twenty_24517_whole_file_answers_advertise_ranges_and_length(client, video_url, header):
    client.force_login(AdminFactory())
    response = client.get(video_url, **({"HTTP_RANGE": header} if header else {}))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(media.MP4))


def test_meeds_5814_the_editor_is_given_a_sanitised_body(client):
    course = CourseFactory(status=Course.Status.DRAFT)
    module = ModuleFactory(course=course)
    # A row written around the ORM (a restored dump): the form must not hand this to the editor.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Module._meta.db_table} SET body = %s WHERE id = %s",
            ['<p>Hi</p><img src="x" onerror="alert(1)"><script>alert(2)</script>', module.pk],
        )
    client.force_login(AdminFactory())
    page = client.get(reverse("authoring_module_edit", args=[course.pk, module.pk])).content.decode()
    assert "&lt;p&gt;Hi&lt;/p&gt;" in page
    assert "onerror" not in page and "alert(2)" not in page


def test_regluit_1200_a_post_that_bypasses_the_editor_is_sanitised(client):
    course = CourseFactory(status=Course.Status.DRAFT)
    client.force_login(AdminFactory())
    response = client.post(
        reverse("authoring_module_create", args=[course.pk]),
        {
            "title": "Bypass",
            "key": "",
            "estimated_minutes": 5,
            "body": '<p onclick="x()">Read <strong>this</strong></p><a href="javascript:alert(1)">link</a>'
            '<img src="https://evil.example/x.png"><iframe src="https://evil.example"></iframe>',
        },
    )
    assert response.status_code == 302
    assert (
        Module.objects.get(key="bypass").body
        == '<p>Read <strong>this</strong></p><a rel="noopener noreferrer">link</a>'
    )
