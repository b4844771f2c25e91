"""Course packages with files (format version 2: a zip of course.json and files/): exact round
trips, new versions copying files, and the refusals of a bad archive."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.models import Course, LearningResource, Module
from courses.services import authoring as services
from courses.services.package_archive import course_package_archive, package_read
from courses.services.packages import course_export_package, package_problems
from courses.tests import media
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def course_with_files() -> Course:
    """The shipped GDPR-101 package with a video, captions and a PDF on its first module and an
    uploaded poster as a document resource."""
    package = json.loads((PACKAGES / "GDPR-101.json").read_text(encoding="utf-8"))
    course = services.course_import_package(package=package)
    module = course.modules.order_by("order").first()
    services.module_update(
        module=module,
        data={
            "video": media.upload("Intro clip.mp4", media.MP4),
            "captions": media.upload("intro.vtt", media.VTT),
            "attachment": media.upload("policy.pdf", media.PDF),
        },
    )
    services.resource_create(
        course=course,
        data={
            "key": "poster",
            "kind": "document",
            "title": "Poster",
            "url": "",
            "body": "",
            "attachment": media.upload("poster.png", media.image()),
        },
    )
    return course


def import_archive(content: bytes) -> Course:
    package, files = package_read(content)
    return services.course_import_package(package=package, files=files)


def archive_bytes(course: Course) -> bytes:
    handle, name, content_type = course_package_archive(course)
    assert name.endswith(".zip") and content_type == "application/zip"
    return handle.read()


def rebuild(content: bytes, *, course_json=None, extra=None, drop=()) -> bytes:
    """The archive with course.json replaced, entries added or dropped."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            data = source.read(info.filename)
            if info.filename == "course.json" and course_json is not None:
                data = json.dumps(course_json).encode()
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return output.getvalue()


def test_a_package_with_files_round_trips_to_the_same_bytes():
    course = course_with_files()
    first = archive_bytes(course)
    package = course_export_package(course=course)
    assert package["format_version"] == 2 and package_problems(package) == []
    video = package["modules"][0]["video"]
    assert video == {
        "file": f"files/{hashlib.sha256(media.MP4).hexdigest()}.mp4",
        "name": "Intro_clip.mp4",
        "content_type": "video/mp4",
    }
    assert package["resources"][-1]["attachment"]["content_type"] == "image/png"
    assert package["resources"][-1]["url"] is None
    # Imported into an empty catalogue and exported again: the same archive, byte for byte.
    Course.objects.all().delete()
    imported = import_archive(first)
    assert archive_bytes(imported) == first
    module = imported.modules.order_by("order").first()
    assert module.video.read() == media.MP4 and module.captions_name == "intro.vtt"
    assert module.attachment_type == "application/pdf"
    assert LearningResource.objects.get(course=imported, key="poster").attachment.read() == media.image()


def test_a_course_without_files_is_still_exported_as_version_1_json():
    package = json.loads((PACKAGES / "HS-101.json").read_text(encoding="utf-8"))
    course = services.course_import_package(package=package)
    handle, name, content_type = course_package_archive(course)
    assert name == "HS-101-v1.json" and content_type.startswith("application/json")
    assert json.loads(handle.read()) == package


def test_a_new_version_gets_its_own_copies_of_the_files(django_capture_on_commit_callbacks):
    course = course_with_files()
    services.course_publish(course=course)
    new = services.course_new_version(course=course)
    old_module = course.modules.order_by("order").first()
    new_module = new.modules.order_by("order").first()
    assert new_module.video.name != old_module.video.name
    assert new_module.video.read() == media.MP4
    with django_capture_on_commit_callbacks(execute=True):
        services.module_delete(module=new_module)
    assert old_module.video.storage.exists(old_module.video.name)


def test_the_export_and_import_pages_carry_the_zip(client):
    course = course_with_files()
    client.force_login(AdminFactory())
    response = client.get(reverse("authoring_course_export", args=[course.pk]))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{course.code}-v1.zip"'
    content = b"".join(response.streaming_content)
    package = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("course.json"))
    package["course"]["version"] = 2
    upload = media.upload("anything.bin", rebuild(content, course_json=package))
    imported = client.post(reverse("authoring_course_import"), {"package": upload})
    assert imported.status_code == 302
    assert Module.objects.filter(course__version=2).exclude(video="").count() == 1


def test_the_commands_export_and_import_a_zip(tmp_path):
    course = course_with_files()
    with pytest.raises(CommandError, match="its package is a zip: give --output"):
        call_command("export_course", course.code)
    path = tmp_path / "out.zip"
    call_command("export_course", course.code, output=str(path))
    Course.objects.all().delete()
    call_command("import_course", str(path))
    assert Module.objects.exclude(video="").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c, p: rebuild(c, drop=[p["modules"][0]["video"]["file"]]),
            "referenced by course.json but not in the archive",
        ),
        (lambda c, p: rebuild(c, extra={"files/" + "0" * 64 + ".pdf": media.PDF}), "in the archive but not referenced"),
        (
            lambda c, p: rebuild(c, extra={"../evil.txt": b"x"}),
            "../evil.txt: the archive may only hold course.json and files/.",
        ),
        (
            lambda c, p: rebuild(c, drop=["course.json"], extra={"inner/course.json": b"{}"}),
            "course.json must be at the root of the archive; it is in a folder: inner/course.json",
        ),
        (lambda c, p: b"PK\x03\x04 not really a zip", "cannot be read as one"),
    ],
)
def test_a_bad_archive_is_refused_and_imports_nothing(change, message):
    course = course_with_files()
    content = archive_bytes(course)
    package = course_export_package(course=course)
    Course.objects.all().delete()
    with pytest.raises(ValidationError) as error:
        import_archive(change(content, package))
    assert message in " ".join(error.value.messages)
    assert not Course.objects.exists()


def test_a_file_whose_content_is_not_its_type_is_refused():
    course = course_with_files()
    content = archive_bytes(course)
    package = course_export_package(course=course)
    Course.objects.all().delete()
    # An HTML page named as the video, with the SHA-256 of its content so only its type is wrong.
    fake = f"files/{hashlib.sha256(media.HTML).hexdigest()}.mp4"
    broken = copy.deepcopy(package)
    broken["modules"][0]["video"]["file"] = fake
    old = package["modules"][0]["video"]["file"]
    with pytest.raises(ValidationError) as error:
        package_read(rebuild(content, course_json=broken, drop=[old], extra={fake: media.HTML}))
    assert f"{fake}: its content is not a video/mp4." in error.value.messages


def test_a_zip_bomb_is_refused_before_it_is_read(settings):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("course.json", b"{}")
        archive.writestr("files/" + "a" * 64 + ".mp4", bytes(50 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        package_read(output.getvalue())
    assert "the archive is refused as a zip bomb" in " ".join(error.value.messages)


def test_version_2_references_are_checked_in_the_json():
    course = course_with_files()
    package = course_export_package(course=course)
    bad = copy.deepcopy(package)
    bad["modules"][0]["video"]["name"] = "../x.mp4"
    bad["modules"][1]["captions"] = bad["modules"][0]["captions"]
    bad["resources"][0]["attachment"] = bad["modules"][0]["attachment"]
    problems = package_problems(bad)
    assert "modules[0].video.name: must be a safe file name, e.g. x.mp4" in problems
    assert "modules[1].captions: captions need a video" in problems
    assert "resources[0].attachment: must be null for this kind of resource" in problems
    v1 = copy.deepcopy(package)
    v1["format_version"] = 1
    assert "modules[0].video: is not allowed" in package_problems(v1)
