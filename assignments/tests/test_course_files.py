"""Serving uploaded course files (assignments/views/files.py): who may open them, the headers,
byte ranges for video seeking, and the video's end marking the module as done."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.models import Assignment, ModuleProgress
from courses.models import Course
from courses.services import authoring as services
from courses.tests import media
from courses.tests.factories import AssignmentFactory, CourseFactory
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def course_with_files():
    course = CourseFactory(status=Course.Status.DRAFT)
    module = services.module_create(
        course=course,
        data={
            "key": "m1",
            "title": "Watch this",
            "body": "<p>Body</p>",
            "video_url": "",
            "file_url": "",
            "estimated_minutes": 5,
            "attachment": media.upload('Policy "2026".pdf', media.PDF),
            "video": media.upload("intro.mp4", media.MP4),
            "captions": media.upload("intro.vtt", media.VTT),
        },
    )
    resource = services.resource_create(
        course=course,
        data={
            "key": "r1",
            "kind": "document",
            "title": "Poster",
            "url": "",
            "body": "",
            "attachment": media.upload("p.png", media.image()),
        },
    )
    course.status = Course.Status.PUBLISHED
    course.save()
    return course, module, resource


def file_url(owner, pk, part):
    return reverse("course_file", args=[owner, pk, part])


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_learner_of_the_course_gets_the_file_with_safe_headers(client, course_with_files):
    course, module, _resource = course_with_files
    assignment = AssignmentFactory(course=course)
    client.force_login(assignment.learner)
    response = client.get(file_url("module", module.pk, "attachment"))
    assert response.status_code == 200
    assert content_of(response) == media.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="Policy_2026.pdf"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(media.PDF))
    assert "default-src 'none'" in response["Content-Security-Policy"]
    captions = client.get(file_url("module", module.pk, "captions"))
    assert captions["Content-Type"] == "text/vtt" and content_of(captions) == media.VTT


def test_files_of_another_course_are_404_for_a_learner(client, course_with_files):
    course, module, resource = course_with_files
    other = AssignmentFactory()  # a learner of another course
    client.force_login(other.learner)
    for url in (
        file_url("module", module.pk, "attachment"),
        file_url("module", module.pk, "video"),
        file_url("resource", resource.pk, "attachment"),
    ):
        assert client.get(url).status_code == 404


def test_admins_see_every_file_and_unknown_parts_are_404(client, course_with_files):
    _course, module, resource = course_with_files
    client.force_login(AdminFactory())
    assert client.get(file_url("resource", resource.pk, "attachment"))["Content-Type"] == "image/png"
    assert client.get(file_url("resource", resource.pk, "video")).status_code == 404
    assert client.get(file_url("course", module.pk, "video")).status_code == 404
    assert client.get(file_url("module", module.pk + 1000, "video")).status_code == 404


def test_an_archived_learner_can_still_review_the_files(client, course_with_files):
    course, module, _resource = course_with_files
    assignment = AssignmentFactory(course=course)
    Assignment.objects.filter(pk=assignment.pk).update(
        archived_at=assignment.assigned_at, archived_reason=Assignment.ArchiveReason.LEFT
    )
    client.force_login(assignment.learner)
    assert client.get(file_url("module", module.pk, "video")).status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client, course_with_files):
    _course, module, _resource = course_with_files
    response = client.get(file_url("module", module.pk, "video"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(media.MP4) - 1),
        ("bytes=-50", len(media.MP4) - 50, len(media.MP4) - 1),
        ("bytes=5000-99999999", 5000, len(media.MP4) - 1),
    ],
)
def test_a_single_range_is_answered_with_206(client, course_with_files, header, start, end):
    _course, module, _resource = course_with_files
    client.force_login(AdminFactory())
    response = client.get(file_url("module", module.pk, "video"), HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(media.MP4)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Content-Type"] == "video/mp4"
    assert content_of(response) == media.MP4[start : end + 1]


def test_an_unsatisfiable_range_is_416_and_several_ranges_get_the_whole_file(client, course_with_files):
    _course, module, _resource = course_with_files
    client.force_login(AdminFactory())
    url = file_url("module", module.pk, "video")
    refused = client.get(url, HTTP_RANGE=f"bytes={len(media.MP4)}-")
    assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{len(media.MP4)}"
    whole = client.get(url, HTTP_RANGE="bytes=0-1,5-6")
    assert whole.status_code == 200 and content_of(whole) == media.MP4
    stale = client.get(url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"another-version"')
    assert stale.status_code == 200
    fresh = client.get(url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=whole["ETag"])
    assert fresh.status_code == 206


def test_the_video_end_marks_the_module_done(client, course_with_files):
    course, module, _resource = course_with_files
    assignment = AssignmentFactory(course=course)
    client.force_login(assignment.learner)
    page = client.get(reverse("player_module", args=[assignment.pk, module.pk]))
    html = page.content.decode()
    assert 'data-watched-form="video-watched"' in html and '<track kind="captions"' in html
    url = reverse("player_module_video_watched", args=[assignment.pk, module.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.json() == {"recorded": True}
    progress = ModuleProgress.objects.get(assignment=assignment, module=module)
    assert progress.completed_at is not None
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS


def test_the_video_end_of_someone_elses_assignment_is_404(client, course_with_files):
    course, module, _resource = course_with_files
    assignment = AssignmentFactory(course=course)
    client.force_login(UserFactory())
    response = client.post(reverse("player_module_video_watched", args=[assignment.pk, module.pk]))
    assert response.status_code == 404
    assert not ModuleProgress.objects.exists()
