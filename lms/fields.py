"""Form fields every form uses for what people type: dates, date-times and record ids.

- ``DateField``: ``YYYY-MM-DD`` between ``lms.dates.MIN_DATE`` and ``MAX_DATE`` (parsed by
  ``lms.dates.parse_date``, the one date parser of the project), rendered as a date input with
  those bounds. Query-string filters (``as_of``, ``date_from``, ``date_to``) are fields of a form
  bound to ``request.GET``, so a bad value is shown on the page beside its field.
- ``DateTimeField``: Django's parsing, the same range.
- ``ModelMultipleChoiceField``: ids that are not whole numbers inside the database's range are
  refused as invalid choices before any query (the database would fail on them, not match).
- ``parse_id``: the same rule for an id read by hand from a query string.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from lms.dates import MAX_DATE, MIN_DATE, parse_date, validate_date_range

# The largest id any table here can hold (BigAutoField): larger numbers match nothing.
MAX_ID = 2**63 - 1
# The most rows a formset builds from a posted form count (a question's choices, a ladder's
# steps): Django's default of 2,000 lets one hostile post cost seconds of rendering.
MAX_FORMSET_ROWS = 50


def parse_id(value) -> int | None:
    """A record id typed into a URL: a whole number in 1..MAX_ID, else None (matches nothing)."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class DateField(forms.DateField):
    # A date input takes and shows ISO dates whatever the language (its DATE_INPUT_FORMATS'
    # "29/11/2026" would leave the browser's date input empty on an edit form).
    widget = forms.DateInput(
        format="%Y-%m-%d", attrs={"type": "date", "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
    )
    default_validators = [validate_date_range]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        # ISO first (what a date input sends), then the locale's formats (the admin's widget).
        return parse_date(value, formats=self.input_formats)


class DateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(
        format="%Y-%m-%dT%H:%M",
        attrs={
            "type": "datetime-local",
            "min": f"{MIN_DATE.isoformat()}T00:00",
            "max": f"{MAX_DATE.isoformat()}T23:59",
        },
    )
    default_validators = [validate_date_range]


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if self.to_field_name is None:
            for pk in value:
                if parse_id(pk) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": str(pk)[:40]}
                    )
        return super()._check_values(value)
