from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create (or refresh) a realistic demo organisation with courses and training in every state."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=120, help="How many learners (default 120).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--url",
            default=None,
            help="Where the server will listen (for the login hint and the seeded emails' links); "
            "default: SITE_URL when it is set, else http://127.0.0.1:8000/.",
        )

    def handle(self, *args, learners: int, seed: int, url: str | None, **options):
        if learners < 1:
            raise CommandError("--learners must be at least 1.")
        if url is None:
            url = (os.environ.get("SITE_URL") or "http://127.0.0.1:8000").rstrip("/") + "/"
        if not os.environ.get("SITE_URL"):
            # Emails sent while seeding link to where the server will listen, not to a default port.
            settings.SITE_URL = url.rstrip("/")
        org = seed_demo(learners=learners, seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organisation ready: {len(org.learners)} learners in {len(org.team_leaders)} teams."
            )
        )
        self.stdout.write(f"Log in at {url} with password '{DEMO_PASSWORD}' as:")
        for role, email in org.logins:
            self.stdout.write(f"  {role:<20} {email}")
