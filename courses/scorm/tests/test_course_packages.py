"""SCORM packages inside course packages (format version 2): exact round trips, the imported course
plays, and a hostile inner package refuses the whole course package, leaving nothing stored."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError

from assignments.models import Attempt, Completion
from assignments.scorm_runtime.tests.helpers import assign, commit, first_sco, import_package
from courses.models import Course, Quiz
from courses.scorm.models import ScormItem, ScormPackage
from courses.scorm.testing import build_package
from courses.scorm.tests.conftest import stored_files
from courses.services import authoring
from courses.services.package_archive import course_package_archive, package_read
from courses.services.packages import course_export_package, package_problems
from courses.tests.factories import make_course

pytestmark = pytest.mark.django_db

PASS_12 = {"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "85", "cmi.core.exit": ""}


def archive_bytes(course: Course) -> bytes:
    handle, name, content_type = course_package_archive(course)
    assert name.endswith(".zip") and content_type == "application/zip"
    return handle.read()


def import_archive(content: bytes) -> Course:
    package, files = package_read(content)
    return authoring.course_import_package(package=package, files=files)


def empty_catalogue() -> None:
    ScormPackage.objects.all().delete()
    Course.objects.all().delete()


def rebuild(content: bytes, *, replace: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
    return output.getvalue()


def test_a_course_graded_by_a_scorm_package_round_trips_to_the_same_bytes_and_plays(
    scorm_storage, django_capture_on_commit_callbacks
):
    # given a course made from a SCORM 1.2 package with a mastery score of 80 (it grades the course)
    package = import_package(mastery_score=80, files={"shared/style.css": "body{}"})
    course = package.course
    # when it is exported
    first = archive_bytes(course)
    exported = course_export_package(course=course)
    # then course.json refers to the package's zip, which is in the archive
    assert exported["format_version"] == 2 and package_problems(exported) == []
    ref = exported["modules"][0]["scorm"]
    archive = zipfile.ZipFile(io.BytesIO(first))
    inner = archive.read(ref["file"])
    assert ref == {
        "file": f"scorm/{hashlib.sha256(inner).hexdigest()}.zip",
        "name": package.original_filename or f"{package.module.key}.zip",
        "scorm_version": "1.2",
        "mastery_score": "80.00",
        "grades_course": True,
        "final_quiz_title": package.quiz.title,
    }
    assert exported["quizzes"] == []
    # when it is imported into an empty catalogue and exported again: the same bytes
    empty_catalogue()
    imported = import_archive(first)
    assert archive_bytes(imported) == first
    new_package = ScormPackage.objects.get(course=imported)
    assert new_package.quiz.kind == Quiz.Kind.FINAL and new_package.mastery_score == 80
    assert new_package.items.count() == 1
    # and the imported course plays: a passing commit completes it
    authoring.course_publish(course=imported)
    assignment = assign(new_package)
    with django_capture_on_commit_callbacks(execute=True):
        commit(assignment, first_sco(new_package), PASS_12)
    assert Attempt.objects.get(assignment=assignment).passed
    assert Completion.objects.filter(assignment=assignment).exists()


def test_a_scorm_module_that_does_not_grade_the_course_round_trips_beside_native_quizzes(scorm_storage):
    # given a native course with a 2004 package as one more module, not grading the course
    course = make_course(status=Course.Status.DRAFT, description="A native course.")
    import_package(version="2004-4", scos=["Part 1", "Part 2"], as_module_of=course)
    quizzes_before = list(course.quizzes.values_list("kind", "title"))
    first = archive_bytes(course)
    exported = course_export_package(course=course)
    assert package_problems(exported) == []
    refs = [module["scorm"] for module in exported["modules"] if "scorm" in module]
    assert len(refs) == 1 and refs[0]["grades_course"] is False and refs[0]["scorm_version"] == "2004-4"
    # when imported again: the same bytes, the same quizzes, the package's two items
    empty_catalogue()
    imported = import_archive(first)
    assert archive_bytes(imported) == first
    assert list(imported.quizzes.values_list("kind", "title")) == quizzes_before
    assert ScormItem.objects.filter(package__course=imported).count() == 2


@pytest.mark.parametrize(
    "inner, message",
    [
        (build_package(folder="course"), "imsmanifest.xml"),
        (build_package(scos=[{"href": "../escape.html"}]), ".."),
        (b"%PDF-1.4 not a zip", "zip"),
    ],
)
def test_a_hostile_inner_package_refuses_the_course_package_and_stores_nothing(scorm_storage, inner, message):
    # given the export of a course holding a SCORM package, with its zip swapped for a bad one
    package = import_package(mastery_score=80)
    first = archive_bytes(package.course)
    empty_catalogue()
    before = stored_files(scorm_storage)
    course_json = json.loads(zipfile.ZipFile(io.BytesIO(first)).read("course.json"))
    old = course_json["modules"][0]["scorm"]["file"]
    new = f"scorm/{hashlib.sha256(inner).hexdigest()}.zip"
    course_json["modules"][0]["scorm"]["file"] = new
    bad = rebuild(first, replace={"course.json": json.dumps(course_json).encode()})
    bad = _rename(bad, old, new, inner)
    # when it is imported
    with pytest.raises(ValidationError) as error:
        import_archive(bad)
    # then the package's own message is given, under the module's path, and nothing is stored
    messages = error.value.messages
    assert messages and all(m.startswith("modules[0].scorm: ") for m in messages), messages
    assert any(message in m for m in messages), messages
    assert not Course.objects.exists() and not ScormPackage.objects.exists()
    assert stored_files(scorm_storage) == before


def _rename(content: bytes, old: str, new: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            if info.filename == old:
                target.writestr(new, data)
            else:
                target.writestr(info.filename, source.read(info.filename))
    return output.getvalue()


def test_a_second_package_refused_removes_the_files_of_the_first(scorm_storage):
    # given a course with two SCORM modules whose second zip is bad
    course = make_course(status=Course.Status.DRAFT, description="A native course.")
    import_package(as_module_of=course)
    import_package(as_module_of=course, version="2004-3")
    first = archive_bytes(course)
    empty_catalogue()
    before = stored_files(scorm_storage)
    course_json = json.loads(zipfile.ZipFile(io.BytesIO(first)).read("course.json"))
    refs = [m["scorm"] for m in course_json["modules"] if "scorm" in m]
    inner = build_package(version="2004-3", folder="course")
    new = f"scorm/{hashlib.sha256(inner).hexdigest()}.zip"
    old = refs[1]["file"]
    refs[1]["file"] = new
    bad = _rename(rebuild(first, replace={"course.json": json.dumps(course_json).encode()}), old, new, inner)
    with pytest.raises(ValidationError):
        import_archive(bad)
    assert not ScormPackage.objects.exists()
    assert stored_files(scorm_storage) == before


def test_the_scorm_reference_is_checked_in_the_json(scorm_storage):
    package = import_package(mastery_score=80)
    exported = course_export_package(course=package.course)
    ref = exported["modules"][0]["scorm"]
    ref.update(scorm_version="3.0", mastery_score="eighty", grades_course=True, final_quiz_title=None)
    ref["file"] = "scorm/x.zip"
    problems = package_problems(exported)
    assert 'modules[0].scorm.file: must be "scorm/" followed by the zip\'s SHA-256 and ".zip"' in problems
    assert any(p.startswith("modules[0].scorm.scorm_version: must be one of") for p in problems)
    assert any(p.startswith("modules[0].scorm.mastery_score:") for p in problems)
    assert any(p.startswith("modules[0].scorm.final_quiz_title:") for p in problems)


def test_a_new_version_gets_its_own_copy_of_the_package(scorm_storage):
    # given a published course graded by a SCORM package
    package = import_package(mastery_score=80)
    authoring.course_publish(course=package.course)
    # when a new version is made
    new = authoring.course_new_version(course=package.course)
    # then it has its own package, in its own folder, with the same files and a final quiz of its own
    copy = ScormPackage.objects.get(course=new)
    assert copy.storage_prefix != package.storage_prefix and copy.quiz.course == new
    assert copy.file_count == package.file_count and copy.mastery_score == package.mastery_score
    assert len(stored_files(scorm_storage)) == 2 * package.file_count


def test_deleting_a_scorm_module_deletes_its_files_after_the_commit(scorm_storage, django_capture_on_commit_callbacks):
    # given a Draft course with a SCORM module
    course = make_course(status=Course.Status.DRAFT, description="A native course.")
    package = import_package(as_module_of=course, files={"shared/style.css": "body{}"})
    assert stored_files(scorm_storage)
    # when the module is deleted, the files stay until the transaction commits, then go
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        authoring.module_delete(module=package.module)
    assert stored_files(scorm_storage) and not ScormPackage.objects.exists()
    for callback in callbacks:
        callback()
    assert stored_files(scorm_storage) == []
