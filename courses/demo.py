"""Demo courses for `python manage.py seed_demo`: the four shipped course packages, published.

Idempotent: a package whose code and version exist already is skipped.
"""

from __future__ import annotations

from pathlib import Path

from courses.models import Course
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
    return created
