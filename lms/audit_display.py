"""The audit trail as an auditor reads it: the trail's page and its PDF show each entry's object by
its name ("Escalation policy “Default policy”"), each changed field by its label, linked records by
their names with a link, coded values by their labels ("Sick leave"), dates as dates and the
escalation ladder as a list of steps. The stored entries are unchanged (the CSV export keeps the
raw values, for machines).

Models are found by their label (``apps.get_model``), never imported: lms sits below the apps
that define most of them. Each app says where its records are shown (``register_link``) and how
a value with no model field of its own reads (``register_value``, e.g. the ladder); lms has no
import of theirs. Names are read in one query per kind of record on the page, not one per row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from lms.models import AuditEntry

# Model label -> URL name of the page that shows one record (one positional argument: its pk).
LINKS: dict[str, str] = {"lms.user": "person_detail"}
# (model label, change name) -> (label, function(value) -> list of lines), for changes that are
# not a field of the model (the ladder of an escalation policy).
VALUES: dict[tuple[str, str], tuple[str, Callable[[Any], list[str]]]] = {}


def register_link(label: str, url_name: str) -> None:
    LINKS[label] = url_name


def register_value(label: str, name: str, *, title: str, lines: Callable[[Any], list[str]]) -> None:
    VALUES[(label, name)] = (title, lines)


@dataclass
class Ref:
    """A value as shown: its text, a link when it names a record, or lines (a list, the ladder)."""

    text: str = ""
    url: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class Change:
    label: str
    old: Ref
    new: Ref


@dataclass
class Row:
    entry: AuditEntry
    object: Ref
    changes: list[Change]


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _url(label: str, pk: Any) -> str:
    name = LINKS.get(label)
    if not name or pk in (None, ""):
        return ""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist, or a reverse relation: shown by its name
        return None


def _names(wanted: dict[str, set]) -> dict[tuple[str, str], str]:
    """(label, pk as text) -> the record's name, one query per label."""
    names = {}
    for label, pks in wanted.items():
        model = _model(label)
        if model is None or not pks:
            continue
        ids = [pk for pk in pks if str(pk).isdigit()]
        # Names read related rows (an attempt is "Attempt 2 at <quiz> by <learner>"): joined here.
        for obj in model._default_manager.filter(pk__in=ids).select_related():
            names[(label, str(obj.pk))] = str(obj)
    return names


def _text(value: Any, model_field: models.Field | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        try:
            return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(_text(item, None) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item, None)}" for key, item in value.items())
    return str(value)


def _name_text(value: str) -> str:
    """A name stored as text, a part said twice once ("Final assessment · Final assessment")."""
    head, sep, tail = value.partition(" · ")
    return head if sep and head.casefold() == tail.casefold() else value


def object_type_label(label: str) -> str:
    """ "Escalation policy" for "escalation.escalationpolicy" (the label itself for a kind of
    record no longer known)."""
    model = _model(label)
    return capfirst(str(model._meta.verbose_name)) if model else label


def audit_rows(entries: Iterable[AuditEntry]) -> list[Row]:
    """The entries as rows to show, reading the names of every record they mention in one query
    per kind of record."""
    entries = list(entries)
    wanted: dict[str, set] = defaultdict(set)
    for entry in entries:
        wanted[entry.object_type].add(entry.object_id)
        model = _model(entry.object_type)
        for name, pair in (entry.changes or {}).items():
            model_field = _field(model, name)
            if model_field is not None and model_field.is_relation and model_field.related_model is not None:
                for value in pair:
                    if value not in (None, ""):
                        wanted[model_field.related_model._meta.label_lower].add(str(value))
    names = _names(wanted)

    rows = []
    for entry in entries:
        model = _model(entry.object_type)
        title = object_type_label(entry.object_type)
        name = names.get((entry.object_type, str(entry.object_id)))
        text = f"{title} “{name}”" if name else f"{title} #{entry.object_id}"
        changes = []
        for change_name, pair in (entry.changes or {}).items():
            old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list | tuple) else (None, pair)
            custom = VALUES.get((entry.object_type, change_name))
            if custom is not None:
                label, lines = custom
                old_lines, new_lines = lines(old), lines(new)
                changes.append(Change(str(label), Ref("—", lines=old_lines), Ref("—", lines=new_lines)))
                continue
            model_field = _field(model, change_name)
            label = (
                capfirst(str(model_field.verbose_name))
                if model_field is not None and hasattr(model_field, "verbose_name")
                else capfirst(change_name.replace("_", " "))
            )
            if model_field is not None and model_field.is_relation and model_field.related_model is not None:
                target = model_field.related_model._meta.label_lower

                def ref(value, target=target) -> Ref:
                    if value in (None, ""):
                        return Ref("—")
                    if not str(value).isdigit():
                        # Written as a name, not an id ("HS-101 v1"): shown as written.
                        return Ref(_name_text(str(value)))
                    shown = names.get((target, str(value))) or f"#{value}"
                    return Ref(shown, _url(target, value))

                changes.append(Change(label, ref(old), ref(new)))
            else:
                changes.append(Change(label, Ref(_text(old, model_field)), Ref(_text(new, model_field))))
        rows.append(Row(entry, Ref(text, _url(entry.object_type, entry.object_id) if name else ""), changes))
    return rows
