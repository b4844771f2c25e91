"""Reports read from a replica of the database, when one is configured (``DATABASE_REPLICA_URL``;
README "Past one machine"); everything else, and every write, uses the primary.

The replica is read only where code asks for it: inside ``reading_from_replica()``, which the
report pages and their exports enter through ``replica_reads`` (a streamed CSV re-enters it for
each chunk, since it is read after the view returned). Anywhere else, reads go to the primary.
A streaming replica is a moment behind its primary, so the rule is that a page may show figures a
few seconds old, never that a page misses what the same request did. Inside the scope, reads go
back to the primary

- once the scope has written anything (every write is routed to the primary, and the router
  notes it): the rest of the scope reads what it wrote;
- while a transaction is open on the primary: what it reads may decide what it writes, and a
  transaction's own rows are not on the replica before it commits.

The session, the signed-in person and everything a middleware reads come from the primary (they
are read before the view's scope begins), so a person who has just signed in or changed their
details is never told otherwise by the replica.

Migrations run on the primary only: the replica gets the schema by replication. With no replica
configured the router has no opinion on reads (Django's default: the primary) and the scope
changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.http import FileResponse, StreamingHttpResponse

REPLICA = "replica"
logger = logging.getLogger(__name__)


@dataclass
class _Scope:
    wrote: bool = False


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("lms_replica_scope", default=None)


def replica_configured() -> bool:
    # REPLICA_READS: off in the test settings, whose replica alias only the replica tests use.
    return REPLICA in settings.DATABASES and getattr(settings, "REPLICA_READS", True)


def read_connection(model):
    """The connection a read of ``model`` goes to: for raw SQL (``connection.cursor()`` is always
    the primary's), so that a report's recursive queries read the replica too."""
    return connections[router.db_for_read(model)]


@contextlib.contextmanager
def _entered(scope: _Scope | None) -> Iterator[None]:
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


# While the replica cannot be reached, reads stay on the primary for this many seconds before it is
# tried again: a report that waited for the replica's connection timeout held a web thread (and,
# with a few managers at once, every thread) for that long.
REPLICA_RETRY_SECONDS = 30
_down_until = 0.0


def replica_available() -> bool:
    """Whether the replica answers: a connection to it (from the pool) is made or checked; when that
    fails the replica is left alone for REPLICA_RETRY_SECONDS and reads go to the primary."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        _down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        logger.warning("Replica unavailable: reports read the primary for %s s", REPLICA_RETRY_SECONDS, exc_info=True)
        return False
    return True


def _scope_for_request() -> _Scope | None:
    # No scope (reads on the primary) when there is no replica to read or it does not answer.
    if not replica_configured() or not replica_available():
        return None
    return _Scope()


@contextlib.contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside go to the replica (when there is one and it answers), until the scope writes or
    opens a transaction on the primary. Writes go to the primary as everywhere."""
    with _entered(_scope_for_request()):
        yield


def _each_chunk_in(scope: _Scope, chunks) -> Iterator[bytes]:
    chunks = iter(chunks)
    while True:
        with _entered(scope):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def replica_reads(view: Callable) -> Callable:
    """A view whose reads go to the replica (``reading_from_replica``), a streamed body's too."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = _scope_for_request()
        with _entered(scope):
            response = view(request, *args, **kwargs)
        # A file response is already written (a temporary file); a streamed CSV is produced while
        # it is sent, after the view returned: its chunks are read in the same scope.
        if (
            isinstance(response, StreamingHttpResponse)
            and not isinstance(response, FileResponse)
            and not response.is_async
        ):
            response.streaming_content = _each_chunk_in(scope, response.streaming_content)
        return response

    return wrapper


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads inside ``reading_from_replica`` go to the replica, the rest to
    the primary; every write to the primary; migrations on the primary only."""

    def db_for_read(self, model, **hints) -> str | None:
        if not replica_configured():
            return None
        scope = _scope.get()
        if scope is None or scope.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's rows: an object read from one may point to one read from
        # the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        return False if db == REPLICA else None
