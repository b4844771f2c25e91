"""A dry run of the nightly workflows is the real run, rolled back.

A dry run that only counts, workflow by workflow, cannot see what the earlier workflows of the
same night would have changed: the due dates moved by exemption returns (so it counted ladder steps
the real run does not take), the messages queued for dispatch (so it predicted nothing to send).
Instead the dry run runs every workflow for real inside one transaction and rolls it back; only
the workflows whose work leaves the database (dispatch: email) are asked what they would do. Its
figures are therefore the figures the real run reports on the same data.

Both take one lock (a PostgreSQL advisory lock): a dry run holds the rows it touches until it
rolls back, and a real run claims with SKIP LOCKED, so a real run would skip them. A real run
waits for a dry run to finish (they take seconds); a dry run during a real run is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils.translation import gettext as _

# pg_advisory_lock key for the nightly run ("lms.nightly" as an integer, any constant will do).
LOCK_KEY = 7_240_512_001


class NightlyRunInProgress(Exception):
    """A dry run was asked for while a real nightly run holds the lock."""

    def __init__(self):
        super().__init__(_("Tonight's run is in progress; preview again when it has finished."))


@contextmanager
def nightly_run(*, dry_run: bool) -> Iterator[None]:
    """The context of a nightly run: for a real run, the lock; for a dry run, the lock and a
    transaction rolled back at the end, whatever happens inside."""
    postgres = connection.vendor == "postgresql"
    if not dry_run:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield
        finally:
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
                if not cursor.fetchone()[0]:
                    raise NightlyRunInProgress
        yield
        transaction.set_rollback(True)
