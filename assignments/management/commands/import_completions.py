from __future__ import annotations

from assignments.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = "Import completions from a CSV file (see README / DESIGN.md for the headers). A file with any bad line imports nothing."
    kind = "completions"
