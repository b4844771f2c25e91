"""Packages and learners for the SCORM player's tests: packages are built with
courses.scorm.testing.build_package and imported with the import service, as an admin would."""

from __future__ import annotations

import uuid

from assignments.models import Assignment
from assignments.scorm_runtime.services import runtime_commit
from courses.scorm.models import ScormItem, ScormPackage
from courses.scorm.services import scorm_package_import
from courses.scorm.testing import build_package
from courses.tests.factories import AssignmentFactory
from lms.tests.factories import UserFactory


def import_package(
    *, version: str = "1.2", scos=None, mastery_score=None, files=None, rules=None, as_module_of=None
) -> ScormPackage:
    data = build_package(version=version, scos=scos, mastery_score=mastery_score, files=files)
    return scorm_package_import(file=data, rules=rules, as_module_of=as_module_of)


def assign(package: ScormPackage, *, learner=None, **fields) -> Assignment:
    return AssignmentFactory(course=package.course, learner=learner or UserFactory(), **fields)


def session_id() -> str:
    return str(uuid.uuid4())


def commit(assignment: Assignment, item: ScormItem, values: dict, *, run: int = 1, session: str | None = None, **kw):
    return runtime_commit(assignment=assignment, item=item, run=run, session=session or session_id(), data=values, **kw)


def first_sco(package: ScormPackage) -> ScormItem:
    return package.items.filter(is_sco=True).order_by("order", "pk").first()
