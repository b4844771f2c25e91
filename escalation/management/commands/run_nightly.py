from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from escalation.nightly import WORKFLOWS, run_nightly
from lms.dates import parse_date


class Command(BaseCommand):
    help = "Run every nightly workflow in order (reminders, failure follow-up, overdue ladder, recertification, digests, dispatch)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="Run as if it were this date (YYYY-MM-DD), at 02:00 in the site time zone.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; change and send nothing.")
        parser.add_argument(
            "--only",
            action="append",
            choices=[name for name, _ in WORKFLOWS],
            help="Run only this workflow (repeatable).",
        )

    def handle(self, *args, as_of=None, dry_run=False, only=None, **options):
        if as_of:
            try:
                day = parse_date(as_of)
            except ValidationError as error:
                raise CommandError(f"--as-of: {error.messages[0]}")
            moment = timezone.make_aware(dt.datetime.combine(day, dt.time(2, 0)))
        else:
            moment = timezone.now()
        results = run_nightly(as_of=moment, dry_run=dry_run, only=only)
        prefix = "[dry run] " if dry_run else ""
        for summary in results:
            details = ", ".join(
                f"{key}={value}"
                for key, value in summary.items()
                if key not in {"workflow", "dry_run", "samples", "by_kind"} and not isinstance(value, (list, dict))
            )
            self.stdout.write(f"{prefix}{summary['workflow']}: {details}")
