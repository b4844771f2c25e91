"""SCORM import: bad packages refused with their message and nothing stored; good ones imported."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from courses.models import Course, Module, Quiz
from courses.scorm.models import ScormItem, ScormPackage
from courses.scorm.services import scorm_package_import, scorm_package_store
from courses.scorm.testing import build_manifest, build_package, zip_bytes
from courses.scorm.tests.conftest import stored_files
from courses.services.authoring import course_publish, course_publish_problems
from courses.tests.factories import CourseFactory
from lms.models import AuditEntry
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<manifest><metadata><schemaversion>&lol3;</schemaversion></metadata></manifest>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<manifest><metadata><schemaversion>1.2</schemaversion></metadata><organizations>"
    "<organization><title>&xxe;</title></organization></organizations></manifest>"
)


def _bomb() -> bytes:
    # 200 MB of zeros compresses to about 200 KB: a ratio near 1000.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", build_manifest())
        archive.writestr("index.html", "<html></html>")
        with archive.open("padding.bin", "w", force_zip64=True) as stream:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                stream.write(chunk)
    return buffer.getvalue()


def _many_entries(count: int) -> bytes:
    return zip_bytes(
        {"imsmanifest.xml": build_manifest(), "index.html": "x", **{f"f{n}.txt": "x" for n in range(count)}}
    )


BAD_PACKAGES = {
    "not a zip (a renamed PDF)": (
        lambda: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" + b"x" * 500,
        "This file is a PDF document, not a zip file.",
    ),
    "no manifest": (lambda: zip_bytes({"index.html": "<html></html>"}), "There is no imsmanifest.xml in the zip"),
    "manifest in a sub-folder": (
        lambda: build_package(folder="Course"),
        "the zip has one at Course/imsmanifest.xml: zip the folder's contents, not the folder.",
    ),
    "missing launch file": (
        lambda: build_package(omit=("index.html",)),
        "The launch file “index.html” of item “item_sco1” is not in the zip.",
    ),
    "../ in a zip entry": (
        lambda: build_package(files={"../evil.html": "x"}),
        "The zip entry “../evil.html” would be stored outside the package folder: it goes up a folder with ../.",
    ),
    "../ in a launch href": (
        lambda: build_package(scos=[{"href": "../../etc/passwd"}]),
        "outside the package folder: it goes up a folder with ../.",
    ),
    "absolute path entry": (
        lambda: build_package(files={"/etc/cron.d/evil": "x"}),
        "The zip entry “/etc/cron.d/evil” would be stored outside the package folder: it is an absolute path.",
    ),
    "drive letter entry": (
        lambda: build_package(files={"C:/Windows/evil.dll": "x"}),
        "it is an absolute path.",
    ),
    "backslash entry": (lambda: build_package(files={"sub\\..\\..\\evil": "x"}), "it contains a backslash."),
    "zip bomb": (_bomb, "refused as a possible zip bomb."),
    "too many entries": (lambda: _many_entries(30), "entries; at most 20 are allowed."),
    "malformed XML": (
        lambda: build_package(manifest_override="<manifest><metadata></manifest>"),
        "imsmanifest.xml is not well-formed XML (line 1, column",
    ),
    "billion laughs": (
        lambda: build_package(manifest_override=BILLION_LAUGHS),
        "imsmanifest.xml declares XML entities or external references, which are refused for safety",
    ),
    "XXE": (
        lambda: build_package(manifest_override=XXE),
        "imsmanifest.xml declares XML entities or external references",
    ),
    "unknown SCORM version": (
        lambda: build_package(manifest_override=build_manifest().replace(">1.2<", ">1.1<")),
        "The manifest's schemaversion is “1.1”, which is not a SCORM version this site plays",
    ),
    "no SCORM at all": (
        lambda: build_package(
            manifest_override='<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><organizations/></manifest>'
        ),
        "the SCORM version is unknown.",
    ),
    "external launch address": (
        lambda: build_package(scos=[{"href": "https://evil.example/launch.html"}]),
        "is an address on another site",
    ),
}


@pytest.mark.parametrize("case", list(BAD_PACKAGES))
def test_bad_package_is_refused_with_its_message_and_nothing_is_stored(case, scorm_storage, settings):
    settings.SCORM_MAX_ENTRIES = 20
    make, message = BAD_PACKAGES[case]
    admin = UserFactory(is_staff=True)
    with pytest.raises(ValidationError) as refused:
        scorm_package_import(file=make(), by=admin)
    assert message in " ".join(refused.value.messages)
    assert not Course.objects.exists()
    assert not Module.objects.exists()
    assert not ScormPackage.objects.exists()
    assert not ScormItem.objects.exists()
    assert not AuditEntry.objects.exists()
    assert stored_files(scorm_storage) == []


def test_a_package_over_the_size_limit_is_refused(scorm_storage, settings):
    settings.SCORM_MAX_ZIP_BYTES = 1000
    with pytest.raises(ValidationError, match="a SCORM package can be at most 1000"):
        scorm_package_import(file=build_package(files={"big.bin": bytes(range(256)) * 20}))
    assert stored_files(scorm_storage) == [] and not Course.objects.exists()


def test_over_the_uncompressed_limit_is_refused(scorm_storage, settings):
    settings.SCORM_MAX_UNCOMPRESSED_BYTES = 2000
    with pytest.raises(ValidationError, match="uncompressed; at most 2.0"):
        scorm_package_import(file=build_package(files={"big.txt": "x" * 5000}))
    assert stored_files(scorm_storage) == []


def test_an_entry_that_holds_more_than_it_declares_is_refused_while_extracting(scorm_storage):
    """A crafted zip whose central directory declares 10 bytes for a 4000-byte file: the declared
    sizes pass the checks, the extraction (which never reads past the declared size) refuses it."""
    data = bytearray(build_package(files={"lie.txt": "y" * 4000}))
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        name_length = int.from_bytes(data[position + 28 : position + 30], "little")
        if data[position + 46 : position + 46 + name_length] == b"lie.txt":
            break
        position += 4
    data[position + 24 : position + 28] = (10).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("lie.txt").file_size == 10
    with pytest.raises(ValidationError, match="“lie.txt” (cannot be read|holds more than it declares)"):
        scorm_package_import(file=bytes(data))
    assert stored_files(scorm_storage) == [] and not ScormPackage.objects.exists()


def test_a_failure_while_storing_leaves_no_files_and_no_rows(scorm_storage, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    saved = []
    original = FileSystemStorage.save

    def save_then_fail(self, name, content, **kwargs):
        if len(saved) == 2:
            raise OSError("disk full")
        saved.append(name)
        return original(self, name, content, **kwargs)

    monkeypatch.setattr(FileSystemStorage, "save", save_then_fail)
    with pytest.raises(OSError):
        scorm_package_import(file=build_package("2004-4", scos=["A", "B", "C"]))
    assert len(saved) == 2
    assert stored_files(scorm_storage) == []
    assert not Course.objects.exists() and not ScormPackage.objects.exists()


def test_scorm_12_single_sco_becomes_a_draft_course(scorm_storage):
    admin = UserFactory(is_staff=True)
    package = scorm_package_import(
        file=build_package(
            "1.2",
            scos=[{"title": "Data protection", "parameters": "?lang=en", "data_from_lms": "abc"}],
            mastery_score=75,
            title="GDPR basics",
        ),
        by=admin,
        filename="gdpr.zip",
    )
    course = package.course
    assert course.status == Course.Status.DRAFT
    assert course.title == "GDPR basics" and course.code == "gdpr-basics"
    assert course.pass_mark == 75
    assert package.scorm_version == "1.2" and package.mastery_score == Decimal("75")
    assert package.module.course == course and list(course.modules.all()) == [package.module]
    assert package.quiz == course.final_quiz and package.quiz.pass_mark is None
    assert not package.quiz.questions.exists()
    [item] = package.items.all()
    assert (item.identifier, item.title, item.href, item.is_sco) == (
        "item_sco1",
        "Data protection",
        "index.html?lang=en",
        True,
    )
    assert item.mastery_score == Decimal("75") and item.data_from_lms == "abc"
    assert package.storage_prefix.startswith("scorm/")
    assert stored_files(scorm_storage) == [
        package.storage_prefix + "imsmanifest.xml",
        package.storage_prefix + "index.html",
    ]
    assert package.file_count == 2 and len(package.sha256) == 64 and package.uploaded_by == admin
    entry = AuditEntry.objects.get(object_type="scorm.scormpackage")
    assert entry.actor == admin and entry.changes["scorm_version"] == [None, "SCORM 1.2"]
    # Published as usual: the package's quiz needs no questions.
    assert course_publish_problems(course) == []
    course_publish(course=course, actor=admin)
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED


def test_scorm_2004_multi_sco_in_organisation_order_with_mastery_and_version(scorm_storage):
    package = scorm_package_import(
        file=build_package(
            "2004-4",
            scos=[
                {"title": "Welcome", "parent": "Chapter 1", "scorm_type": "asset"},
                {"title": "Rules", "parent": "Chapter 1", "max_time_allowed": "PT30M"},
                {"title": "Test", "mastery_score": 80, "completion_threshold": "0.75"},
            ],
        ),
        code="HS-2004",
    )
    assert package.scorm_version == "2004-4"
    assert package.course.code == "HS-2004" and package.course.pass_mark == 80
    items = list(package.items.all())
    assert [(i.order, i.title, i.href, i.is_sco, i.parent_title) for i in items] == [
        (0, "Welcome", "sco1/index.html", False, "Chapter 1"),
        (1, "Rules", "sco2/index.html", True, "Chapter 1"),
        (2, "Test", "sco3/index.html", True, ""),
    ]
    assert items[1].max_time_allowed == "PT30M"
    assert items[2].mastery_score == Decimal("80.00") and items[2].scaled_passing_score == Decimal("0.8")
    assert items[2].completion_threshold == Decimal("0.75")
    assert package.manifest["items"][0]["title"] == "Chapter 1"


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.2", "1.2"), ("2004-2", "2004-2"), ("2004-3", "2004-3"), ("2004-4", "2004-4")],
)
def test_version_from_schemaversion(version, expected, scorm_storage):
    assert scorm_package_import(file=build_package(version)).scorm_version == expected


def test_version_from_namespace_when_schemaversion_is_missing(scorm_storage):
    manifest = build_manifest().replace("<schemaversion>1.2</schemaversion>", "")
    assert scorm_package_import(file=build_package(manifest_override=manifest)).scorm_version == "1.2"


def test_pass_mark_override_and_no_mastery_score(scorm_storage):
    assert scorm_package_import(file=build_package(mastery_score=90), pass_mark=60).course.pass_mark == 60
    package = scorm_package_import(file=build_package(), rules={"compliance_critical": True, "default_due_days": 14})
    assert package.mastery_score is None and package.course.pass_mark == 80
    assert package.course.compliance_critical and package.course.default_due_days == 14


def test_fractional_mastery_score_is_rounded_up(scorm_storage):
    assert scorm_package_import(file=build_package(mastery_score="72.5")).course.pass_mark == 73


def test_a_taken_code_is_refused(scorm_storage):
    CourseFactory(code="GDPR-101")
    with pytest.raises(ValidationError, match="The course code GDPR-101 exists already"):
        scorm_package_import(file=build_package(), code="gdpr-101")
    assert stored_files(scorm_storage) == [] and not ScormPackage.objects.exists()


def test_as_a_module_of_a_draft_course(scorm_storage):
    course = CourseFactory(status=Course.Status.DRAFT, pass_mark=70)
    package = scorm_package_import(file=build_package(mastery_score=85), as_module_of=course, title="Fire safety")
    course.refresh_from_db()
    assert package.course == course and package.module.title == "Fire safety"
    assert package.quiz.kind == Quiz.Kind.FINAL and course.pass_mark == 85


def test_as_a_module_of_a_published_course_is_refused(scorm_storage):
    course = CourseFactory(status=Course.Status.PUBLISHED)
    with pytest.raises(ValidationError, match="is published"):
        scorm_package_import(file=build_package(), as_module_of=course)
    assert stored_files(scorm_storage) == [] and not ScormPackage.objects.exists()


def test_store_from_bytes_for_an_existing_module(scorm_storage):
    """The reusable core (course packages use it): zip bytes in, files and rows out."""
    course = CourseFactory(status=Course.Status.DRAFT)
    module = Module.objects.create(course=course, key="m1", title="M1")
    package = scorm_package_store(course=course, module=module, zip_bytes=build_package("2004-3"))
    assert package.items.count() == 1 and package.quiz is None
    assert len(stored_files(scorm_storage)) == 2


def test_command_imports_and_prints_the_items(scorm_storage, tmp_path, capsys):
    path = tmp_path / "pkg.zip"
    path.write_bytes(build_package("2004-4", scos=["One", "Two"], mastery_score=70))
    call_command("import_scorm", str(path), "--code", "CMD-1")
    out = capsys.readouterr().out
    assert "as the Draft course CMD-1 v1" in out and "1. One -> sco1/index.html" in out
    assert Course.objects.get(code="CMD-1").pass_mark == 70


def test_command_exits_non_zero_with_the_message(scorm_storage, tmp_path):
    path = tmp_path / "folder.zip"
    path.write_bytes(build_package(folder="Course"))
    with pytest.raises(CommandError, match="zip the folder's contents, not the folder") as error:
        call_command("import_scorm", str(path))
    assert error.value.returncode == 1
    assert not Course.objects.exists() and stored_files(scorm_storage) == []


def test_titles_longer_than_the_field_end_in_an_ellipsis_where_they_are_cut(scorm_storage):
    """Outside eyes (issue 15): a package title over 200 characters was cut silently."""
    long_title = "Anti-money laundering for frontline staff " * 8  # 336 characters
    package = scorm_package_import(
        file=build_package("1.2", scos=[{"title": long_title}], title=long_title),
        by=UserFactory(is_staff=True),
        filename="aml.zip",
    )
    [item] = package.items.all()
    for title in (package.title, package.course.title, package.module.title, item.title):
        assert len(title) == 200 and title.endswith("…") and long_title.startswith(title[:-1])
