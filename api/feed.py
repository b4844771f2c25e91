"""The completions feed: an incremental pull for nightly BI loads, every completion exactly once.

Completions are read in the order they were *recorded* (``created_at``, then ``id``), not the
order they were earned: imported history carries a ``completed_at`` months back and would slip
behind a cursor ordered by it. The cursor is opaque to clients: the (recorded at, id) of the last
completion delivered, signed so that an edited or truncated cursor is refused (400) rather than
read as another position. Every page answers a ``next_cursor`` (the same one when nothing new has
settled), which the client keeps for its next pull.

Exactly once, even while completions are being written: a page never reaches past a *horizon*
behind which no completion can still appear.

- ``created_at`` is stamped when the row is inserted, inside its transaction, and that transaction
  may commit later (a large import commits after minutes). A row that is still invisible has a
  ``created_at`` no earlier than the start of its transaction. On PostgreSQL the horizon is the
  start of the oldest transaction now writing (``pg_stat_activity``: one with a transaction id),
  so every row recorded before it is already committed and visible; on SQLite (one writer at a
  time; development) the same guarantee holds for transactions shorter than the settle time.
- The horizon is also at least ``API_COMPLETIONS_SETTLE_SECONDS`` (10 s) in the past, which covers
  the moment between a row's stamp and its INSERT and clock differences between web servers and
  the database.

Completions are never updated or deleted (``assignments.models.Completion``), so a completion
delivered once never needs delivering again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from assignments.models import Completion

SALT = "api.completions.cursor"
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Position:
    """Just after the completion recorded at ``at`` with id ``pk``; (None, 0) is the beginning."""

    at: dt.datetime | None = None
    pk: int = 0

    def encode(self) -> str:
        return signing.dumps({"t": self.at.isoformat() if self.at else None, "i": self.pk}, salt=SALT, compress=True)

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            data = signing.loads(cursor, salt=SALT)
            at = parse_datetime(data["t"]) if data["t"] is not None else None
            pk = int(data["i"])
        except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
            raise ValidationError({"cursor": [_("This cursor is not one this API gave out.")]}) from error
        if data["t"] is not None and at is None:
            raise ValidationError({"cursor": [_("This cursor is not one this API gave out.")]})
        return cls(at=at, pk=pk)


def _oldest_writing_transaction() -> dt.datetime | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def horizon(*, now: dt.datetime | None = None) -> dt.datetime:
    """Completions recorded before this instant are all committed and visible."""
    settle = dt.timedelta(seconds=settings.API_COMPLETIONS_SETTLE_SECONDS)
    limit = (now or timezone.now()) - settle
    oldest = _oldest_writing_transaction()
    if oldest is not None:
        limit = min(limit, oldest - settle)
    return limit


@dataclass
class FeedPage:
    results: list[Completion]
    next_cursor: str
    has_more: bool


def completions_after(position: Position, *, until: dt.datetime) -> QuerySet[Completion]:
    qs = Completion.objects.filter(created_at__lt=until)
    if position.at is not None:
        qs = qs.filter(Q(created_at__gt=position.at) | Q(created_at=position.at, pk__gt=position.pk))
    return qs.select_related("learner", "course").order_by("created_at", "pk")


def completions_page(*, cursor: str | None, page_size: int = DEFAULT_PAGE_SIZE) -> FeedPage:
    position = Position.decode(cursor) if cursor else Position()
    rows = list(completions_after(position, until=horizon())[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if rows:
        position = Position(at=rows[-1].created_at, pk=rows[-1].pk)
    return FeedPage(results=rows, next_cursor=position.encode(), has_more=has_more)
