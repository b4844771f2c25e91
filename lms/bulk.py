"""Bulk inserts for the tables the nightly jobs fill (outbox, case file, audit trail), and bulk
updates for the imports.

``bulk_insert(objs, ignore_conflicts=...)`` does what ``bulk_create`` does, without setting
primary keys on the instances.
On PostgreSQL it sends each batch as ONE JSON document expanded by ``jsonb_to_recordset``: Django's
bulk insert spends its time in Python on one placeholder per value (compiling them, then psycopg
splitting a query of tens of thousands of placeholders, or escaping every quote of JSON documents
inside arrays), which dominates a night that writes a hundred thousand rows. On SQLite it runs
one single-row INSERT with ``executemany`` per batch. Field defaults and ``auto_now`` apply as in
``bulk_create`` (``pre_save``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence

from django.db import connections, models, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

BATCH_SIZE = 5000


def _plain(field: models.Field, value):
    """A value as JSON that PostgreSQL reads back into the column's type."""
    if isinstance(field, models.JSONField):
        return value if field.encoder is None else json.loads(json.dumps(value, cls=field.encoder))
    if value is None:
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def bulk_insert(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert unsaved instances of one model; with ``ignore_conflicts``, rows that would break a
    unique constraint are skipped (and only those: ``ON CONFLICT DO NOTHING``)."""
    if not objs:
        return
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    if connection.vendor == "sqlite":
        _sqlite_insert(connection, model, fields, objs, ignore_conflicts=ignore_conflicts)
        return
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create(objs, batch_size=1000, ignore_conflicts=ignore_conflicts)
        return
    columns = ", ".join(quote(f.column) for f in fields)
    record = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({record})"
    ) + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    plain = [_PLAIN_TYPES.get(type(f), ()) for f in fields]

    def values(obj):
        row = {}
        for f, types in zip(fields, plain, strict=True):
            value = f.pre_save(obj, add=True)
            row[f.column] = value if type(value) in types else _plain(f, f.get_prep_value(value))
        return row

    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_SIZE):
            rows = [values(obj) for obj in objs[start : start + BATCH_SIZE]]
            cursor.execute(sql, [json.dumps(rows, separators=(",", ":"))])


_TEXT = (str, type(None))
_INTEGER = (int, type(None))
# Django prepares each value through four or five calls; for these exact field classes and Python
# types the prepared value is the value itself (None is NULL), so it is passed as it is (half the
# time of a wide row). Only these classes: a subclass may prepare values its own way
# (lms.html.SafeHTMLField cleans HTML), and goes through the field as before.
_PLAIN_TYPES = {
    models.CharField: _TEXT,
    models.SlugField: _TEXT,
    models.EmailField: _TEXT,
    models.TextField: _TEXT,
    models.IntegerField: _INTEGER,
    models.SmallIntegerField: _INTEGER,
    models.BigIntegerField: _INTEGER,
    models.PositiveIntegerField: _INTEGER,
    models.PositiveSmallIntegerField: _INTEGER,
    models.ForeignKey: _INTEGER,
    models.BooleanField: (bool, type(None)),
    models.DateField: (type(None),),
    models.DateTimeField: (type(None),),
    models.DecimalField: (type(None),),
}


def _sqlite_insert(connection, model, fields, objs, *, ignore_conflicts: bool) -> None:
    # One single-row INSERT run by executemany per batch: SQLite prepares it once, and Django
    # neither compiles a placeholder per value nor (with DEBUG on) re-quotes every parameter to log
    # the query. bulk_create splits at 999 parameters (about 40 rows of a wide table a statement).
    quote = connection.ops.quote_name
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    sql = (
        f"{connection.ops.insert_statement(on_conflict=on_conflict)} {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))})"
    )
    plain = [_PLAIN_TYPES.get(type(f), ()) for f in fields]

    def values(obj):
        row = []
        for f, types in zip(fields, plain, strict=True):
            value = f.pre_save(obj, add=True)
            row.append(value if type(value) in types else f.get_db_prep_save(value, connection))
        return row

    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_SIZE):
            cursor.executemany(sql, [values(obj) for obj in objs[start : start + BATCH_SIZE]])


def bulk_update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write ``fields`` (names or attnames) of saved instances of one model, as ``QuerySet.bulk_update``
    does (no ``pre_save``, no signals), in one statement per batch: a JSON document joined by id on
    PostgreSQL, ``executemany`` on SQLite. Django's ``bulk_update`` builds a ``CASE WHEN id = ...``
    per row and field (an import updating 10,000 people spent seconds compiling them)."""
    if not objs:
        return
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor not in {"postgresql", "sqlite"}:
        model._default_manager.using(using).bulk_update(objs, fields, batch_size=1000)
        return
    pk = model._meta.pk
    # ``auto_now`` fields (``updated_at``) are stamped as a save would, so a bulk change still says
    # when the rows changed (the REST API's ``updated_since`` reads people's).
    fields = list(fields)
    names = {model._meta.get_field(name).name for name in fields}
    stamped = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) and f.name not in names]
    if stamped:
        now = timezone.now()
        for obj in objs:
            for f in stamped:
                setattr(obj, f.attname, now)
        fields += [f.name for f in stamped]
    targets = [model._meta.get_field(name) for name in dict.fromkeys(fields)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH_SIZE):
            batch = objs[start : start + BATCH_SIZE]
            if connection.vendor == "sqlite":
                cursor.executemany(
                    f"UPDATE {table} SET {', '.join(f'{quote(f.column)} = %s' for f in targets)} "
                    f"WHERE {quote(pk.column)} = %s",
                    [
                        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in targets] + [obj.pk]
                        for obj in batch
                    ],
                )
                continue
            record = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in targets)
            rows = [
                {pk.column: obj.pk, **{f.column: _plain(f, f.get_prep_value(getattr(obj, f.attname))) for f in targets}}
                for obj in batch
            ]
            cursor.execute(
                f"UPDATE {table} AS t SET {', '.join(f'{quote(f.column)} = r.{quote(f.column)}' for f in targets)} "
                f"FROM jsonb_to_recordset(%s::jsonb) AS r({quote(pk.column)} {pk.rel_db_type(connection)}, {record}) "
                f"WHERE t.{quote(pk.column)} = r.{quote(pk.column)}",
                [json.dumps(rows, separators=(",", ":"))],
            )


def _json_value(value):
    """JSON for the dates and times of plain rows (``insert_new_rows``)."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def insert_new_rows(model: type[models.Model], rows: list[dict], *, returning: str, **constants) -> list:
    """PostgreSQL: insert ``rows`` (column -> value, the same columns in each) into ``model``'s
    table as one JSON document, skipping those that break a unique constraint (``ON CONFLICT DO
    NOTHING``); returns the ``returning`` column of the rows inserted, in order. Every other column
    is ``constants``' value for its field, else the field's default (``auto_now`` fields: now),
    as ``bulk_create`` fills them. For a job that writes thousands of rows it builds as plain dicts
    and needs to know which were new (escalation.workflows.failures: outbox, case file, audit)."""
    conn = connections[router.db_for_write(model)]
    quote = conn.ops.quote_name
    given = set(rows[0])
    now = timezone.now()
    targets, selected, record, params = [], [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = quote(field.column)
        targets.append(column)
        if field.column in given:
            selected.append(f"r.{column}")
            record.append(f"{column} {field.db_type(conn)}")
            continue
        if field.name in constants:
            value = constants[field.name]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        selected.append(f"%s::{field.db_type(conn)}")
        params.append(field.get_db_prep_save(value, conn))
    with conn.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(targets)}) "
            f"SELECT {', '.join(selected)} FROM jsonb_to_recordset(%s::jsonb) AS r({', '.join(record)}) "
            f"ON CONFLICT DO NOTHING RETURNING {quote(model._meta.get_field(returning).column)}",
            [*params, json.dumps(rows, separators=(",", ":"), default=_json_value)],
        )
        return [value for (value,) in cursor.fetchall()]
