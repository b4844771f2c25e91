"""``AnyOf``: a column matched against a list of values as one array parameter.

``filter(pk__in=ids)`` writes one placeholder per value. With psycopg's client-side binding (Django's
default) PostgreSQL then parses a statement of tens of thousands of constants: matching 20,000 ids
took ~300 ms that way against ~90 ms as ``id = ANY(%s::bigint[])`` with the same ids in one array
(measured at 1,000,000 assignments, issue 19). The nightly workflows hand each claimed batch of up
to 50,000 assignments to several statements in a row, so they pay that on every one.

Use it as a filter expression: ``Assignment.objects.filter(AnyOf(F("pk"), ids))``. On other
databases (SQLite, the embedded default) it is Django's own ``IN``.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    """``lhs = ANY(array of rhs)`` on PostgreSQL, ``lhs IN (rhs...)`` elsewhere. ``rhs`` is a list
    of plain values of the column's type (ids, dates, strings); an empty list matches nothing and,
    as with ``__in``, sends no query (``EmptyResultSet``: a read is empty, an update changes 0)."""

    # The array as the statement writes it, of the column's type.
    array = "%s::{db_type}[]"

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor != "postgresql":
            return In(self.lhs, values).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY({self.array.format(db_type=db_type)})", [*lhs_params, values]


class AnyOfUncounted(AnyOf):
    """``AnyOf`` whose values PostgreSQL plans without counting them (the array is built in an
    InitPlan: ``= ANY(ARRAY(SELECT unnest(%s)))``), for a write to rows picked by primary key.
    Told 13,000 ids of a 1,000,000-row table, the planner reads the whole table (a sequential scan
    hashing the array) rather than look up 13,000 rows; not told, it reads them through the
    primary key: the due reminders' marker UPDATE of a night's 13,000 claimed assignments, 653 ->
    497-536 ms (issue 19)."""

    lookup_name = "any_of_uncounted"
    array = "ARRAY(SELECT unnest(%s::{db_type}[]))"
