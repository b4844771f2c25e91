"""People pickers: form fields and widgets for choosing one person or several among thousands.

The page never lists everyone. Without JavaScript the field is a text box taking email addresses
or employee ids (several separated by commas), which works at any size and with any assistive
technology. ``static/js/people-picker.js`` turns it into a Tom Select combobox (vendored in
``static/vendor/tom-select/``) that asks the JSON search endpoint (``people_search``, scoped to
whom the signed-in user may pick, one page at a time) as the person types; it submits the chosen
people's email addresses, so both ways post the same thing.

    learners = PeopleField(label=_("Learners"), queryset=User.objects.filter(is_active=True))
    trainer = PersonField(label=_("Trainer"), queryset=User.objects.filter(is_active=True), required=False)

The field's queryset decides whom a post may name (the search endpoint only helps find them), so
scope it to what the view allows. A page using one renders ``{{ form.media }}`` (the JavaScript and
CSS); without it the field stays a text box. Ids posted as whole numbers are accepted too, for
older clients and tests that post primary keys.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lms.fields import parse_id

# What a post may name at once: a larger group is a department, everyone or a CSV upload. Also keeps
# the lookup under SQLite's 999 parameters.
MAX_PEOPLE = 300
MAX_TOKEN_LENGTH = 254
_SEPARATORS = re.compile(r"[\s,;]+")


def person_label(user) -> str:
    label = f"{user.get_full_name() or user.email} <{user.email}>"
    return f"{label} · {user.employee_id}" if user.employee_id else label


def split_tokens(value) -> list[str]:
    """What was posted (one text, or one value per chosen person) as separate tokens, in order."""
    if value in (None, ""):
        return []
    values = value if isinstance(value, list | tuple) else [value]
    tokens: list[str] = []
    for item in values:
        for token in _SEPARATORS.split(str(item)):
            if token and token not in tokens:
                tokens.append(token)
    return tokens


def resolve_tokens(tokens: list[str], queryset) -> dict[str, object]:
    """Each token (an email address, an employee id, or a whole-number id) to the person of
    ``queryset`` it names, in one query; tokens naming nobody there are left out, and so are tokens
    no person can have (a NUL, which PostgreSQL refuses in a query, or too long): the page that
    redraws a refused form with what was typed must not fail on them."""
    tokens = [t for t in tokens if "\x00" not in t and len(t) <= MAX_TOKEN_LENGTH]
    emails = {t.lower() for t in tokens if "@" in t}
    others = [t for t in tokens if "@" not in t]
    ids = {parse_id(t) for t in others} - {None}
    query = Q()
    if emails:
        query |= Q(email_lower__in=emails)
    if others:
        query |= Q(employee_id__in=others)
    if ids:
        query |= Q(pk__in=ids)
    if not query:
        return {}
    people = list(queryset.annotate(email_lower=Lower("email")).filter(query))
    by_email = {p.email.lower(): p for p in people}
    by_employee_id = {p.employee_id: p for p in people if p.employee_id}
    by_pk = {p.pk: p for p in people}
    found = {}
    for token in tokens:
        person = (
            by_email.get(token.lower()) if "@" in token else by_employee_id.get(token) or by_pk.get(parse_id(token))
        )
        if person is not None:
            found[token] = person
    return found


def _checked_tokens(tokens: list[str], *, limit: int) -> None:
    if len(tokens) > limit:
        raise ValidationError(
            _("Choose at most %(limit)d people here; for more, assign a department or upload a CSV file."),
            code="too_many",
            params={"limit": limit},
        )
    for token in tokens:
        if "\x00" in token or len(token) > MAX_TOKEN_LENGTH:
            raise ValidationError(_("That is not an email address or an employee id."), code="invalid_token")


def _unknown(tokens: list[str]) -> ValidationError:
    return ValidationError(
        _("No one you can choose here has the email address or employee id %(tokens)s."),
        code="invalid_choice",
        params={"tokens": ", ".join(f"“{t}”" for t in tokens[:5])},
    )


class PersonPicker(forms.TextInput):
    """A text box for email addresses or employee ids, enhanced into a searchable combobox."""

    multiple = False

    class Media:
        css = {"all": ["vendor/tom-select/tom-select.bootstrap5.min.css", "css/people-picker.css"]}
        js = ["vendor/tom-select/tom-select.complete.min.js", "js/people-picker.js"]

    def __init__(self, attrs=None, *, search_url: str | None = None):
        super().__init__(attrs)
        self.search_url = search_url
        self.queryset = None  # set by the field, to label what is already chosen

    def value_from_datadict(self, data, files, name):
        if self.multiple and hasattr(data, "getlist"):
            return data.getlist(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def _chosen(self, value) -> list[dict[str, str]]:
        if value in (None, "", []):
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        people, pks, tokens = [], [], []
        for item in value:
            if hasattr(item, "email"):
                people.append(item)
            elif isinstance(item, int):  # an initial value: a primary key
                pks.append(item)
            else:
                tokens.extend(split_tokens(item))
        if self.queryset is not None:
            if pks:
                people.extend(self.queryset.filter(pk__in=pks).order_by("last_name", "first_name"))
            found = resolve_tokens(tokens, self.queryset) if tokens else {}
        else:
            found = {}
        chosen = [{"value": p.email, "label": person_label(p)} for p in people]
        for token in tokens:
            person = found.get(token)
            # A token naming nobody stays as typed, beside the field's message about it.
            chosen.append(
                {"value": person.email, "label": person_label(person)} if person else {"value": token, "label": token}
            )
        return chosen

    def get_context(self, name, value, attrs):
        chosen = self._chosen(value)
        context = super().get_context(name, ", ".join(item["value"] for item in chosen), attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.update(
            {
                "data-person-picker": "multiple" if self.multiple else "single",
                "data-search-url": self.search_url or reverse("people_search"),
                "data-chosen": json.dumps(chosen),
                "data-placeholder": str(_("Type a name, email or employee id")),
                "data-no-results": str(_("No one found")),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        )
        return context

    def format_value(self, value):
        return value or None


class PeoplePicker(PersonPicker):
    multiple = True


class _PickerField:
    """What the one-person and several-people fields share: the search widget knows the field's
    queryset (to render the chosen people without JavaScript) and where to search; values are
    email addresses, employee ids or ids as typed, not primary keys."""

    default_help_text = ""

    def __init__(self, queryset, *, help_text=None, search_url: str | None = None, **kwargs):
        super().__init__(queryset, help_text=help_text or self.default_help_text, **kwargs)
        if search_url:
            self.widget.search_url = search_url
        self.widget.queryset = self.queryset

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        if hasattr(self, "widget"):
            self.widget.queryset = self.queryset

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj) -> str:
        return person_label(obj)

    def prepare_value(self, value):
        return value


class PersonField(_PickerField, forms.ModelChoiceField):
    """One person of ``queryset``, by email address, employee id or id."""

    widget = PersonPicker
    default_help_text = _("Type a name, email address or employee id to search.")

    def to_python(self, value):
        tokens = split_tokens(value)
        if not tokens:
            return None
        _checked_tokens(tokens, limit=1)
        person = resolve_tokens(tokens, self.queryset).get(tokens[0])
        if person is None:
            raise _unknown(tokens)
        return person

    def has_changed(self, initial, data):
        try:
            chosen = self.to_python(data)
        except ValidationError:
            return True
        initial_pk = getattr(initial, "pk", initial)
        return (chosen.pk if chosen else None) != (initial_pk if initial_pk not in ("", None) else None)


class PeopleField(_PickerField, forms.ModelMultipleChoiceField):
    """Several people of ``queryset``, by email addresses, employee ids or ids."""

    widget = PeoplePicker
    default_help_text = _("Type a name, email address or employee id to search; choose as many as you need.")
    max_people = MAX_PEOPLE

    def clean(self, value):
        tokens = split_tokens(value)
        if not tokens:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return self.queryset.none()
        _checked_tokens(tokens, limit=self.max_people)
        found = resolve_tokens(tokens, self.queryset)
        unknown = [t for t in tokens if t not in found]
        if unknown:
            raise _unknown(unknown)
        pks = list(dict.fromkeys(p.pk for p in found.values()))
        return self.queryset.filter(pk__in=pks)

    def has_changed(self, initial, data):
        try:
            chosen = {p.pk for p in self.clean(data)} if split_tokens(data) else set()
        except ValidationError:
            return True
        return chosen != {getattr(i, "pk", i) for i in (initial or [])}
