"""Shared body of the import_* commands: read the file, call ``import_run``, report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assignments.services.imports import import_run

# What each figure of an import's summary (a preview) or result says, in the command's output.
FIGURES = {
    "create": _("to add"),
    "update": _("to update"),
    "assign": _("to assign"),
    "reassign": _("to archive and assign again"),
    "archive": _("to archive"),
    "skip": _("to skip (already assigned)"),
    "created": _("added"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "assigned": _("assigned"),
    "archived": _("archived"),
    "skipped": _("skipped (already assigned)"),
    "completions": _("completions"),
    "invitations": _("invitations to set a password"),
    "invitations_sso": _("of them to sign in with single sign-on"),
    "rule_assignments": _("assignments from rules"),
    "departments_created": _("new departments"),
}


def figures_text(figures: dict) -> str:
    """``{"created": 3, "departments_created": ["Sales"]}`` as "added: 3, new departments: Sales"
    (label first, so no plural is needed); empty lists are left out, unknown keys named as they are."""
    parts = []
    for key, value in figures.items():
        label = FIGURES.get(key, key.replace("_", " "))
        if isinstance(value, list | tuple):
            if value:
                parts.append(f"{label}: {', '.join(str(item) for item in value)}")
        else:
            parts.append(f"{label}: {value}")
    return ", ".join(parts) or "nothing"


class ImportCommand(BaseCommand):
    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, comma-separated, with a header row)")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; change nothing.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}")
        outcome = import_run(kind=self.kind, data=data, dry_run=options["dry_run"])
        if outcome.errors:
            for error in outcome.errors:
                column = f" [{error.column}]" if error.column else ""
                self.stderr.write(f"line {error.line}{column}: {error.message}")
            problems = ngettext("%(n)d problem", "%(n)d problems", len(outcome.errors)) % {"n": len(outcome.errors)}
            raise CommandError(f"{problems} in {path.name}; nothing was imported.")
        summary = {key: value for key, value in outcome.summary.items() if key not in {"lines", "result"}}
        lines = ngettext("%(n)d line", "%(n)d lines", outcome.total) % {"n": outcome.total}
        if options["dry_run"]:
            self.stdout.write(f"Dry run, nothing changed. {lines} would import: {figures_text(summary)}.")
        else:
            result = outcome.summary["result"]
            self.stdout.write(self.style.SUCCESS(f"Imported {lines}: {figures_text(result)}."))
            # New assignments' notices wait in the outbox: an import sends no email itself.
            queued = result.get("assigned", 0) + result.get("rule_assignments", 0)
            if queued:
                self.stdout.write(
                    ngettext(
                        "%(n)d assignment notice is queued in the outbox; the dispatcher sends it ",
                        "%(n)d assignment notices are queued in the outbox; the dispatcher sends them ",
                        queued,
                    )
                    % {"n": queued}
                    + "(every 5 minutes under Celery beat; now: python manage.py run_nightly --only dispatch)."
                )
