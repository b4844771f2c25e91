"""Demo SCORM course for `seed_demo` (called from courses/demo.py): the package of
courses/scorm/demo_package.py imported with the import service as an admin would upload it, as
the course MH-SCORM-101, and published.

Idempotent: once a course with that code exists it is left as it is.
"""

from __future__ import annotations

from courses.models import Course
from courses.scorm.demo_package import TITLE, build_demo_package
from courses.scorm.services import scorm_package_import
from courses.services.authoring import course_publish

CODE = "MH-SCORM-101"


def seed(org) -> Course | None:
    if Course.objects.filter(code=CODE).exists():
        return None
    package = scorm_package_import(
        file=build_demo_package(), by=org.admin, code=CODE, title=TITLE, filename="manual-handling-scorm12.zip"
    )
    return course_publish(course=package.course, actor=org.admin)
