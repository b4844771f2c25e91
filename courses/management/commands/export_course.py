"""python manage.py export_course CODE [--version N] [--output FILE]: write a course package."""

from __future__ import annotations

import shutil

from django.core.management.base import BaseCommand, CommandError

from courses.selectors.authoring import course_get_version
from courses.services.package_archive import course_package_archive


class Command(BaseCommand):
    help = (
        "Export a course version as a course package (JSON; a zip with course.json and the files for a course "
        "with uploaded files); the latest version unless --version is given."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Django's own --version (print the Django version) gives way to the course version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("code", help="Course code, e.g. GDPR-101.")
        parser.add_argument("--version", type=int, dest="course_version", help="Version to export (default: latest).")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, code: str, course_version: int | None, output: str | None, **options):
        course = course_get_version(code=code, version=course_version)
        if course is None:
            which = f"version {course_version} of " if course_version is not None else ""
            raise CommandError(f"There is no {which}course {code}.")
        archive, filename, _content_type = course_package_archive(course)
        with archive:
            if output:
                try:
                    with open(output, "wb") as handle:
                        shutil.copyfileobj(archive, handle)
                except OSError as error:
                    raise CommandError(f"Cannot write {output}: {error.strerror}")
                self.stderr.write(f"Wrote {course.code} v{course.version} to {output}.")
            elif filename.endswith(".zip"):
                raise CommandError(
                    f"{course.code} v{course.version} has uploaded files, so its package is a zip: "
                    f"give --output {filename}."
                )
            else:
                self.stdout.write(archive.read().decode("utf-8"), ending="")
