"""Fresh planner statistics after a big write: ``ANALYZE`` of the tables a job has just filled.

PostgreSQL plans every query from statistics that only ``ANALYZE`` takes (row counts, the share of
NULLs and the common values of each column). Left to itself it re-analyses a table when autovacuum
sees ``autovacuum_analyze_threshold + autovacuum_analyze_scale_factor * reltuples`` rows changed
since the last time (defaults 50 and 0.1: a table of 1,000,000 rows only after 100,000 changes;
PostgreSQL 15 documentation, "Routine Vacuuming", 25.1.6 "The Autovacuum Daemon", and the
``ANALYZE`` reference page). That happens later, in a background worker that competes with the
night for the same cores, and not at all where autovacuum is switched off. Meanwhile the next
workflow of the same night plans from the old figures: after a first run over a backlog (a
million outbox and case-file rows written into tables that were empty when last analysed, the
assignments' progress markers moved) the planner still believes those tables empty and those
markers unset.

The rule: a job that wrote (inserted, updated or deleted) more than
``max(settings.LMS_ANALYZE_AFTER_ROWS, settings.LMS_ANALYZE_SCALE_FACTOR * reltuples)`` rows into
one table in one go analyses that table itself, at once, before anything else reads it
(defaults 10,000 rows and 0.05, half of autovacuum's scale factor). ``ANALYZE`` reads a sample
of 300 x ``default_statistics_target`` rows (30,000) whatever the table's size, but that is still
up to a second or two on a big table of a busy machine, so a steady night takes none: at
1,000,000 assignments it writes about 31,000 outbox rows into a table of 1.5 million and moves the
markers of about as many assignments, under 5 % of each. The first run over a backlog, the night
after it (119,000 ladder messages) and a large import into a small table do take it. Rows are
counted from each statement's row count (``cursor.rowcount``), so only writes through Django's
connection count. On SQLite (the embedded default) nothing is done: its planner uses no
statistics unless asked (``sqlite_stat1``).

A dry run (work rolled back) takes none: its writes never happen.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

ANALYZE_AFTER_ROWS = 10_000
ANALYZE_SCALE_FACTOR = 0.05

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"?([A-Za-z_][\w]*)"?', re.IGNORECASE)


@dataclass
class WriteLog:
    """Rows written per table while the block ran, and the tables analysed after it."""

    rows: Counter = field(default_factory=Counter)
    analyzed: list[str] = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        match = _WRITE.match(sql)
        if match:
            rowcount = getattr(context.get("cursor"), "rowcount", -1)
            if rowcount and rowcount > 0:
                self.rows[match.group(1)] += rowcount
        return result


def analyze_threshold(table_rows: float) -> float:
    after_rows = getattr(settings, "LMS_ANALYZE_AFTER_ROWS", ANALYZE_AFTER_ROWS)
    scale = getattr(settings, "LMS_ANALYZE_SCALE_FACTOR", ANALYZE_SCALE_FACTOR)
    return max(after_rows, scale * max(table_rows, 0))


@contextmanager
def fresh_statistics(*, using: str = "default", enabled: bool = True) -> Iterator[WriteLog]:
    """Count the rows the block writes per table; afterwards ``ANALYZE`` each table written past
    the threshold (PostgreSQL only, and only if ``enabled``). The block's own exceptions pass
    through untouched and nothing is analysed after one."""
    connection = connections[using]
    log = WriteLog()
    with connection.execute_wrapper(log):
        yield log
    if not enabled or connection.vendor != "postgresql" or not log.rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind IN ('r', 'p') AND relname = ANY(%s)",
            [sorted(log.rows)],
        )
        sizes = dict(cursor.fetchall())
        for table in sorted(log.rows):
            if table in sizes and log.rows[table] > analyze_threshold(sizes[table]):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                log.analyzed.append(table)
                logger.info("ANALYZE %s after %d rows written", table, log.rows[table])
