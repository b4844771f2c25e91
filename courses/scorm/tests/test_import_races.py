"""Issue 15 (outside tester): two imports of the same course code at once give one course and the
form's message for the other (never a 500), and no folder is left in storage without its package."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from courses.models import Course
from courses.scorm import services
from courses.scorm.models import ScormPackage
from courses.scorm.services import scorm_package_import
from courses.scorm.testing import build_package
from courses.scorm.tests.conftest import stored_files


def _folders(root) -> set[str]:
    scorm = root / "scorm"
    return {path.name for path in scorm.iterdir() if path.is_dir()} if scorm.exists() else set()


@pytest.mark.django_db
def test_a_constraint_violation_late_in_the_import_is_the_code_message_and_leaves_no_files(scorm_storage, monkeypatch):
    def refuse(**kwargs):  # what the database says when a twin import committed the code first
        raise IntegrityError('duplicate key value violates unique constraint "course_code_version_unique_ci"')

    monkeypatch.setattr(services, "_audit", refuse)
    with pytest.raises(ValidationError) as caught:
        scorm_package_import(file=build_package("1.2"), code="RACE-1")
    assert caught.value.message_dict == {
        "code": ["The course code RACE-1 exists already: choose another code for the package."]
    }
    assert stored_files(scorm_storage) == []
    assert not Course.objects.exists() and not ScormPackage.objects.exists()


@pytest.mark.django_db
def test_another_integrity_error_is_not_disguised_but_still_leaves_no_files(scorm_storage, monkeypatch):
    def refuse(**kwargs):
        raise IntegrityError("something else")

    monkeypatch.setattr(services, "_audit", refuse)
    with pytest.raises(IntegrityError):
        scorm_package_import(file=build_package("1.2"), code="RACE-2")
    assert stored_files(scorm_storage) == [] and not ScormPackage.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", ["RACE-3", ""])
def test_two_imports_of_the_same_code_at_once(code, scorm_storage, monkeypatch):
    # Both imports pass the "code taken?" check before either inserts its course.
    barrier = threading.Barrier(2, timeout=20)
    original = services.authoring.course_create

    def create_after_both_checked(**kwargs):
        barrier.wait()
        return original(**kwargs)

    monkeypatch.setattr(services.authoring, "course_create", create_after_both_checked)
    package = build_package("1.2", title="Race course")
    outcomes: list[object] = []

    def run():
        try:
            outcomes.append(scorm_package_import(file=package, code=code or None))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    imported = [outcome for outcome in outcomes if isinstance(outcome, ScormPackage)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(imported) == 1 and len(refused) == 1, outcomes
    taken = imported[0].course.code
    assert refused[0].message_dict == {
        "code": [f"The course code {taken} exists already: choose another code for the package."]
    }
    assert Course.objects.count() == 1
    assert _folders(scorm_storage) == {
        prefix.rstrip("/").rsplit("/", 1)[-1]
        for prefix in ScormPackage.objects.values_list("storage_prefix", flat=True)
    }
