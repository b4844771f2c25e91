"""``python manage.py import_scorm ZIP [--code CODE]``: a SCORM package becomes a Draft course.

Exits non-zero with the message on a refused package; prints the course and its items otherwise.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.scorm.selectors import scorm_items
from courses.scorm.services import scorm_package_import


class Command(BaseCommand):
    help = "Import a SCORM 1.2 or 2004 zip as a new Draft course (publish it in the authoring pages)."

    def add_arguments(self, parser):
        parser.add_argument("zip", help="The SCORM package (.zip with imsmanifest.xml at its root).")
        parser.add_argument("--code", help="The new course's code (default: made from the package's title).")
        parser.add_argument("--pass-mark", type=int, help="Pass mark in percent (default: the mastery score).")

    def handle(self, *args, **options):
        path = Path(options["zip"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        pass_mark = options.get("pass_mark")
        if pass_mark is not None and not 0 <= pass_mark <= 100:
            raise CommandError("--pass-mark must be between 0 and 100.")
        try:
            with path.open("rb") as zip_file:
                package = scorm_package_import(
                    file=zip_file, code=options.get("code"), pass_mark=pass_mark, filename=path.name
                )
        except ValidationError as error:
            raise CommandError(f"{path.name}: " + " ".join(error.messages)) from None
        course = package.course
        self.stdout.write(
            f"Imported {path.name} ({package.get_scorm_version_display()}) as the Draft course {course} "
            f"(pass mark {course.pass_mark}%):"
        )
        for item in scorm_items(package=package):
            self.stdout.write(f"  {item.order + 1}. {item.title} -> {item.href}{'' if item.is_sco else ' (asset)'}")
        self.stdout.write("Publish it in the course authoring pages.")
