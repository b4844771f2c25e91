"""The read replica's stand-in in tests (lms.replica): a second PostgreSQL database on the test
server (the ``replica`` alias of lms.settings_test), made a copy of the primary's test database as
it is at that moment, which is what a streaming replica is, a moment behind.

``CREATE DATABASE ... TEMPLATE`` copies a database nobody is connected to: the test closes its own
connections first, so only a test with ``transaction=True`` (no transaction held open around it)
can make the copy."""

from __future__ import annotations

import re

from django.db import connections

from lms.replica import REPLICA


def copy_primary_to_replica() -> None:
    primary, replica = connections["default"], connections[REPLICA]
    source, target = primary.settings_dict["NAME"], replica.settings_dict["NAME"]
    # Both are test databases named by the test settings: never quote a name that is not plain.
    assert re.fullmatch(r"\w+", source) and target == f"{source}_replica", (source, target)
    primary.close()
    replica.close()
    with primary._nodb_cursor() as cursor:
        # A connection left behind by a thread of an earlier test would refuse the copy (on the
        # source) or the drop (on the target: seen in a full run, "being accessed by other users").
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname IN (%s, %s) AND pid <> pg_backend_pid()",
            [source, target],
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
        cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def writes(queries: list[dict]) -> list[str]:
    """The statements among captured ``queries`` that change something."""
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "DECLARE"))]
