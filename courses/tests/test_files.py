"""Uploaded course files (courses/files.py and the authoring services): types by content, size
limits, safe names, storage under an unguessable path, replacing and removing files."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from courses import files as course_files
from courses.models import Course, LearningResource, Module
from courses.services import authoring as services
from courses.tests import media
from courses.tests.factories import CourseFactory, ModuleFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.COURSE_FILE_MAX_BYTES = 50_000
    settings.COURSE_VIDEO_MAX_BYTES = 100_000
    settings.COURSE_CAPTIONS_MAX_BYTES = 1_000


def module_data(**changes):
    data = {
        "key": "m1",
        "title": "Module one",
        "body": "<p>Body</p>",
        "video_url": "",
        "file_url": "",
        "estimated_minutes": 10,
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (media.PDF, "application/pdf"),
        (media.image("PNG"), "image/png"),
        (media.image("JPEG"), "image/jpeg"),
        (media.image("WEBP"), "image/webp"),
        (media.image("GIF"), "image/gif"),
        (media.MP4, "video/mp4"),
        (media.VTT, "text/vtt"),
        (media.HTML, None),
        (media.SVG, None),
        (b"", None),
        (b"WEBVTTX", None),
    ],
)
def test_sniff_decides_the_type_from_the_first_bytes(content, expected):
    assert course_files.sniff(content[:64]) == expected


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("lesson.mp4", media.PDF, "This file is a PDF by its content, which is not accepted here."),
        ("lesson.mp4", media.HTML, "Web pages, SVG images and other files cannot be uploaded."),
        ("lesson.mp4", media.SVG, "Web pages, SVG images and other files cannot be uploaded."),
    ],
)
def test_a_video_that_is_really_something_else_is_refused_with_a_message(name, content, found):
    course = CourseFactory(status=Course.Status.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.module_create(course=course, data=module_data(video=media.upload(name, content, "video/mp4")))
    assert found in " ".join(error.value.message_dict["video"])
    assert not Module.objects.exists()


def test_svg_and_html_are_refused_as_documents_whatever_the_name():
    course = CourseFactory(status=Course.Status.DRAFT)
    for name, content in (("logo.svg", media.SVG), ("page.pdf", media.HTML), ("pic.png", media.SVG)):
        with pytest.raises(ValidationError) as error:
            services.module_create(course=course, data=module_data(attachment=media.upload(name, content, "image/png")))
        assert "cannot be uploaded" in error.value.message_dict["attachment"][0]
    assert not Module.objects.exists()


def test_a_forged_image_is_refused():
    course = CourseFactory(status=Course.Status.DRAFT)
    forged = b"\x89PNG\r\n\x1a\n" + b"not an image at all" * 5
    with pytest.raises(ValidationError) as error:
        services.module_create(course=course, data=module_data(attachment=media.upload("a.png", forged)))
    assert error.value.message_dict["attachment"] == ["This image file is damaged or not really an image."]


def test_size_limits_come_from_settings(settings):
    course = CourseFactory(status=Course.Status.DRAFT)
    big_pdf = media.PDF + b"0" * 50_000
    with pytest.raises(ValidationError) as error:
        services.module_create(course=course, data=module_data(attachment=media.upload("big.pdf", big_pdf)))
    assert error.value.message_dict["attachment"][0].startswith("This file is 49.0")
    assert "files of this type (PDF) can be at most 48.8" in error.value.message_dict["attachment"][0]
    # The video limit is its own: a file that size is a fine video.
    module = services.module_create(course=course, data=module_data(video=media.upload("v.mp4", media.MP4)))
    assert module.video_name == "v.mp4"
    settings.COURSE_VIDEO_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error:
        services.module_update(module=module, data=module_data(video=media.upload("v.mp4", media.MP4)))
    assert "files of this type (MP4 video) can be at most 100" in error.value.message_dict["video"][0]


def test_files_are_stored_under_an_unguessable_path_with_a_safe_name():
    course = CourseFactory(status=Course.Status.DRAFT)
    module = services.module_create(
        course=course,
        data=module_data(
            attachment=media.upload('../../etc/"pass wd".exe', media.PDF, "text/html"),
            video=media.upload("intro video.MOV", media.MP4),
            captions=media.upload("subs.txt", media.VTT),
        ),
    )
    module.refresh_from_db()
    assert module.attachment_type == "application/pdf"
    assert module.attachment_name == "pass_wd.pdf"
    assert module.video_name == "intro_video.mp4"
    assert module.captions_name == "subs.vtt"
    folder, random, name = module.attachment.name.split("/")
    assert (folder, name) == ("course-files", "pass_wd.pdf")
    assert len(random) == 32 and random != module.video.name.split("/")[1]
    assert module.attachment.storage.exists(module.attachment.name)
    assert reverse("course_file", args=["module", module.pk, "attachment"]).startswith("/courses/learn/files/")


def test_captions_need_a_video():
    course = CourseFactory(status=Course.Status.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.module_create(course=course, data=module_data(captions=media.upload("c.vtt", media.VTT)))
    assert error.value.message_dict == {"captions": ["Captions go with an uploaded video: upload the video too."]}


def test_replacing_and_removing_a_file_deletes_the_old_one_after_commit(django_capture_on_commit_callbacks):
    course = CourseFactory(status=Course.Status.DRAFT)
    module = services.module_create(course=course, data=module_data(attachment=media.upload("a.pdf", media.PDF)))
    first = module.attachment.name
    with django_capture_on_commit_callbacks(execute=True):
        services.module_update(
            module=module, data=module_data(attachment=media.upload("b.png", media.image("PNG"), "application/pdf"))
        )
    module.refresh_from_db()
    assert module.attachment_type == "image/png" and module.attachment_name == "b.png"
    assert not module.attachment.storage.exists(first)
    second = module.attachment.name
    with django_capture_on_commit_callbacks(execute=True):
        services.module_update(module=module, data=module_data(attachment=False))
    module.refresh_from_db()
    assert not module.attachment and module.attachment_name == "" and module.attachment_type == ""
    assert not module.attachment.storage.exists(second)


def test_a_refused_save_stores_nothing(tmp_path):
    course = CourseFactory(status=Course.Status.DRAFT)
    ModuleFactory(course=course, key="taken")
    with pytest.raises(ValidationError):
        with transaction.atomic():
            services.module_create(
                course=course, data=module_data(key="taken", attachment=media.upload("a.pdf", media.PDF))
            )
    assert not (tmp_path / "course-files").exists()


def test_resource_files_follow_the_kind():
    course = CourseFactory(status=Course.Status.DRAFT)
    base = {"key": "r1", "title": "Clip", "url": "", "body": ""}
    video = services.resource_create(
        course=course, data={**base, "kind": "video", "attachment": media.upload("clip.mp4", media.MP4)}
    )
    assert video.attachment_type == "video/mp4"
    with pytest.raises(ValidationError) as error:
        services.resource_create(
            course=course, data={**base, "key": "r2", "kind": "video", "attachment": media.upload("x.pdf", media.PDF)}
        )
    assert error.value.message_dict == {"attachment": ["A video resource's file must be an MP4 video."]}
    with pytest.raises(ValidationError) as error:
        services.resource_create(course=course, data={**base, "key": "r3", "kind": "document"})
    assert error.value.message_dict == {"url": ["This kind of resource needs a link or an uploaded file."]}
    with pytest.raises(ValidationError) as error:
        services.resource_create(
            course=course,
            data={
                **base,
                "key": "r4",
                "kind": "link",
                "url": "https://example.com",
                "attachment": media.upload("a.pdf", media.PDF),
            },
        )
    assert error.value.message_dict["attachment"] == [
        "Only a video or document resource holds a file: remove the file or change the kind."
    ]
    assert list(LearningResource.objects.values_list("key", flat=True)) == ["r1"]


def test_the_module_form_uploads_through_the_page(client):
    course = CourseFactory(status=Course.Status.DRAFT)
    client.force_login(AdminFactory())
    url = reverse("authoring_module_create", args=[course.pk])
    page = client.get(url)
    assert b'enctype="multipart/form-data"' in page.content
    assert b"data-rich-text" in page.content and b"vendor/quill/quill.js" in page.content
    form = {"title": "Watch", "key": "", "body": "<p>x</p>", "estimated_minutes": 5}
    refused = client.post(url, {**form, "video": media.upload("fake.mp4", media.HTML, "video/mp4")})
    assert refused.status_code == 200
    assert "Web pages, SVG images and other files cannot be uploaded." in refused.content.decode()
    assert not Module.objects.exists()
    saved = client.post(url, {**form, "video": media.upload("real.mp4", media.MP4, "video/mp4")})
    assert saved.status_code == 302
    assert Module.objects.get().video_name == "real.mp4"
