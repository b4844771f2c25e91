"""Set-based writes for the nightly workflows: ``INSERT INTO ... SELECT ... ON CONFLICT DO NOTHING``
straight from a candidate queryset, so that no row is built in Python.

The queryset names every inserted column as an annotation and ends in ``values_list`` of those
names, in the order of ``columns``. ORM defaults do not apply to a raw insert, so every NOT NULL
column is given explicitly. Works on PostgreSQL and SQLite (3.24+).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)


class DaysBetween(Func):
    """Whole days from ``earlier`` to ``later`` (two dates), as an integer."""

    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " - "  # PostgreSQL: date - date is an integer

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, output_field=IntegerField(), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS integer)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class IsoDate(Func):
    """A date as 'YYYY-MM-DD' text (SQLite stores dates as that text already)."""

    arity = 1
    template = "to_char(%(expressions)s, 'YYYY-MM-DD')"

    def __init__(self, expression, **extra):
        super().__init__(expression, output_field=CharField(), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="%(expressions)s", **extra_context)


class JSONBool(Func):
    """A boolean that JSON_OBJECT renders as true/false on SQLite too (where booleans are 0/1)."""

    arity = 1
    template = "%(expressions)s"

    def __init__(self, expression, **extra):
        super().__init__(expression, output_field=BooleanField(), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="json(CASE WHEN %(expressions)s THEN 'true' ELSE 'false' END)",
            **extra_context,
        )


def days_word(field: str) -> Case:
    """' day' or ' days' after a number of days the database computes (``field``), for the English
    text of case files and notification reasons written in SQL: "1 day", "15 days", never a
    word with "(s)" after it."""
    return Case(When(**{field: 1}, then=Value(" day")), default=Value(" days"), output_field=CharField())


class DayMonthYear(Func):
    """A date as '9 Mar 2026', the site's DATE_FORMAT ``j M Y`` (lms/formats/en_GB, English month
    abbreviations, no leading zero), for text the nightly run writes in SQL (lms.dates.record_day)."""

    arity = 1
    template = "to_char(%(expressions)s, 'FMDD Mon YYYY')"

    def __init__(self, expression, **extra):
        super().__init__(expression, output_field=CharField(), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        months = "'JanFebMarAprMayJunJulAugSepOctNovDec'"
        return (
            f"(ltrim(strftime('%%d', {sql}), '0') || ' ' || substr({months}, 3 * strftime('%%m', {sql}) - 2, 3)"
            f" || ' ' || strftime('%%Y', {sql}))",
            (*params, *params, *params),
        )


def _compiled(qs: QuerySet, columns: Sequence[str]) -> tuple[str, tuple]:
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    # values_list of annotations only: the SELECT list must be exactly ``columns``, in order.
    selected = [alias for _, _, alias in compiler.select]
    if selected != list(columns):
        raise ValueError(f"SELECT list {selected} does not match the insert columns {list(columns)}")
    return sql, params


def insert_from_select(
    model: type[Model],
    qs: QuerySet,
    columns: dict[str, str],
    *,
    unique: tuple[str, str],
    order_by: Sequence[str] = ("pk",),
    dry_run: bool = False,
) -> int:
    """Insert the rows of ``qs`` into ``model``; return how many were new.

    ``columns`` maps each annotation of ``qs`` to the model field it fills (in SELECT order);
    ``unique`` is (model field, annotation) of the key that makes the insert idempotent: a dry run
    counts the rows whose key is not there yet, with the same candidates, and inserts nothing.
    Rows are inserted in ``order_by`` order, so that ids (and the order of items in a grouped
    email) follow it.
    """
    names = list(columns)
    qs = qs.order_by().values_list(*names)
    if dry_run:
        field, annotation = unique
        return qs.exclude(Exists(model._default_manager.filter(**{field: OuterRef(annotation)}))).count()
    qs = qs.order_by(*order_by)
    connection = connections[qs.db]
    quote = connection.ops.quote_name
    targets = ", ".join(quote(model._meta.get_field(field).column) for field in columns.values())
    sql, params = _compiled(qs, names)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} ({targets}) "
        f"SELECT * FROM ({sql}) AS candidates WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def insert_variants_from_select(
    model: type[Model],
    qs: QuerySet,
    columns: dict[str, str],
    variants: Sequence[tuple[Q | None, dict]],
    *,
    unique: tuple[str, str],
    order_by: Sequence[str] = ("pk",),
    dry_run: bool = False,
) -> list:
    """Insert, for each variant ``(condition, annotations)`` in turn, the rows of
    ``qs.filter(condition).annotate(**annotations)``: the rows ``insert_from_select`` would write
    variant by variant, in the same order (variant, then ``order_by``), in one statement that reads
    ``qs`` once. Return the ``unique`` values of the rows that were new (a dry run: that would be
    new; it inserts nothing).

    ``qs`` is read once into a materialised common table expression holding every variant's
    columns (``v<i>_<name>``) and whether its condition holds (``v<i>_ok``); one ``SELECT`` per
    variant reads that table, ``UNION ALL`` in variant order. A condition is evaluated as a
    ``CASE`` over the row (Django makes its joins outer), so a row that fails one variant's
    condition still serves the others. The order rests, as ``insert_from_select``'s does on its
    subquery's ``ORDER BY``, on the scans of one stored table being appended in turn
    (tests/test_set_based_inserts.py checks it). SQLite needs 3.35 (``MATERIALIZED``, ``RETURNING``).
    """
    if not variants:
        return []
    names = list(columns)
    field, annotation = unique
    annotations = {}
    for index, (condition, values) in enumerate(variants):
        if set(values) != set(names):
            raise ValueError(f"variant {index} gives {sorted(values)}, not the insert columns {names}")
        for name in names:
            annotations[f"v{index}_{name}"] = values[name]
        if condition is not None:
            annotations[f"v{index}_ok"] = Case(
                When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
    selected = list(annotations)
    qs = qs.annotate(**annotations).order_by(*order_by).values_list(*selected)
    sql, params = _compiled(qs, selected)
    connection = connections[qs.db]
    quote = connection.ops.quote_name
    branches = []
    for index, (condition, _values) in enumerate(variants):
        listed = ", ".join(f"{quote(f'v{index}_{name}')} AS {quote(name)}" for name in names)
        where = f" WHERE {quote(f'v{index}_ok')}" if condition is not None else ""
        branches.append(f"SELECT {listed} FROM batch{where}")
    batch = f"WITH batch AS MATERIALIZED ({sql})"
    union = " UNION ALL ".join(branches)
    table = quote(model._meta.db_table)
    column = quote(model._meta.get_field(field).column)
    if dry_run:
        statement = (
            f"{batch} SELECT candidates.{quote(annotation)} FROM ({union}) AS candidates"
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} AS existing"
            f" WHERE existing.{column} = candidates.{quote(annotation)})"
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return [value for (value,) in cursor.fetchall()]
    targets = ", ".join(quote(model._meta.get_field(f).column) for f in columns.values())
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
    statement = (
        f"INSERT INTO {table} ({targets}) {batch} SELECT * FROM ({union}) AS candidates"
        f" WHERE true ON CONFLICT DO NOTHING RETURNING {column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [value for (value,) in cursor.fetchall()]
