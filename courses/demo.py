"""Demo courses for `python manage.py seed_demo`: the four shipped course packages, published, and
a SCORM 1.2 course (courses/scorm/demo.py) and a PDF handout in one course (courses/demo_files.py).

Idempotent: a package whose code and version exist already is skipped.
"""

from __future__ import annotations

from pathlib import Path

from courses import demo_files
from courses.models import Course
from courses.scorm import demo as scorm_demo
from courses.services.authoring import course_import_package
from courses.services.packages import package_loads

PACKAGES_DIR = Path(__file__).resolve().parent / "packages"


def seed(org) -> list[Course]:
    """Import and publish every shipped package not present yet; returns the courses created."""
    created = []
    for path in sorted(PACKAGES_DIR.glob("*.json")):
        package = package_loads(path.read_bytes())
        course = package["course"]
        if Course.objects.filter(code=course["code"], version=course["version"]).exists():
            continue
        created.append(course_import_package(package=package, publish=True))
    demo_files.seed(org)
    scorm_course = scorm_demo.seed(org)
    if scorm_course is not None:
        created.append(scorm_course)
    return created
