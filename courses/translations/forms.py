"""Forms of the translation pages: one text, and the translators' file exchange."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from courses.forms.authoring import RICH_TEXT
from lms.html import sanitise_html
from lms.languages import native_name

FORMATS = (("xliff", _("XLIFF 1.2 (for translation tools)")), ("csv", _("CSV (for a spreadsheet)")))


def language_field(languages: list[str], **kwargs) -> forms.ChoiceField:
    def name(code: str) -> str:
        # The language's name in the page's language, and in its own when that differs ("French (Français)").
        local, own = str(dict(settings.LANGUAGES)[code]), native_name(code)
        return local if local == own else f"{local} ({own})"

    return forms.ChoiceField(label=_("Language"), choices=[(code, name(code)) for code in languages], **kwargs)


class TranslationForm(forms.Form):
    """The translation of one text: the rich-text editor for an HTML field, a plain text box else."""

    text = forms.CharField(label=_("Translation"))

    def __init__(self, *args, html: bool, max_length: int | None, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.uses_rich_text = html
        field = self.fields["text"]
        if html:
            field.widget = forms.Textarea(attrs={"rows": 12, **RICH_TEXT})
            # The editor loads the saved translation reduced to the safe subset, as the main body is.
            if self.initial.get("text"):
                self.initial["text"] = sanitise_html(self.initial["text"])
        elif max_length and max_length <= 500:
            field.max_length = max_length
            field.widget = forms.TextInput(attrs={"maxlength": max_length})
        else:
            field.widget = forms.Textarea(attrs={"rows": 4})
        # Typed in the translation's language (spell checking, and Arabic right to left).
        field.widget.attrs.update({"lang": language, "dir": "rtl" if get_language_info(language)["bidi"] else "ltr"})
        field.error_messages["required"] = _(
            "Enter the translation. To show learners the main text instead, delete the translation."
        )


class ExportForm(forms.Form):
    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"] = language_field(languages)
        self.fields["format"] = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="xliff")


class ImportForm(forms.Form):
    def __init__(self, *args, languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"] = language_field(languages)
        self.fields["file"] = forms.FileField(
            label=_("Translated file"),
            help_text=_(
                "An XLIFF 1.2 or CSV file exported from this page, with the translations filled in (at most %(limit)s). "
                "A file with any problem imports nothing."
            )
            % {"limit": filesizeformat(settings.UPLOAD_MAX_BYTES)},
            widget=forms.ClearableFileInput(attrs={"accept": ".xlf,.xliff,.xml,.csv,text/csv,application/xml"}),
        )
