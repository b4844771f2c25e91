"""python manage.py import_course FILE [--publish]: import a course package (docs/course-package-format.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.services.authoring import course_import_package
from courses.services.package_archive import package_read


class Command(BaseCommand):
    help = (
        "Import a course package (JSON, or a zip with course.json and files) as a new course version. "
        "A package with any problem imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the course package (.json or .zip).")
        parser.add_argument("--publish", action="store_true", help="Publish the course after importing it.")

    def handle(self, *args, file: str, publish: bool, **options):
        try:
            handle = open(file, "rb")  # a zip package is read from it while importing
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}")
        try:
            with handle:
                package, files = package_read(handle)
                course = course_import_package(package=package, files=files, publish=publish)
        except ValidationError as error:
            raise CommandError("Nothing was imported:\n" + "\n".join(f"  - {m}" for m in error.messages))
        self.stdout.write(self.style.SUCCESS(f"Imported {course.code} v{course.version} ({course.status})."))
