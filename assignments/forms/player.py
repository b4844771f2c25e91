"""Forms of the course player: answering an attempt, with the attestation when the course needs one."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AttemptForm(forms.Form):
    """One field per presented question (``q_<id>``), whose only valid values are the ids of the
    choices that question presented: naming a choice of another question is refused here, and
    again by the service."""

    def __init__(
        self, *args, questions: list[dict], attest_as: str | None = None, attest_with_sso: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            choices = [(str(choice["id"]), choice["text"]) for choice in question["choices"]]
            if question["multiple"]:
                field = forms.MultipleChoiceField(
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                    error_messages={"required": _("Choose at least one answer.")},
                )
            else:
                field = forms.ChoiceField(
                    choices=choices,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    error_messages={"required": _("Choose an answer.")},
                )
            field.label = question["text"]
            self.fields[self.field_name(question["id"])] = field
        self.needs_attestation = attest_as is not None
        # A learner who signs in with single sign-on only confirms who they are at the identity
        # provider (lms.sso) instead of re-entering a password.
        self.attest_with_sso = self.needs_attestation and attest_with_sso
        if self.needs_attestation:
            self.fields["attest"] = forms.BooleanField(
                label=_("I confirm that I am %(name)s and that I completed this training and assessment myself.")
                % {"name": attest_as},
                error_messages={"required": _("Tick the box to confirm that this is your own work.")},
            )
        if self.needs_attestation and not self.attest_with_sso:
            self.fields["password"] = forms.CharField(
                label=_("Your password"),
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                help_text=_("Re-enter the password you log in with, to sign this attestation."),
                error_messages={"required": _("Enter your password to sign the attestation.")},
            )

    @staticmethod
    def field_name(question_id: int) -> str:
        return f"q_{question_id}"

    @classmethod
    def initial_from(cls, questions: list[dict], saved: dict[int, list[int]]) -> dict[str, str | list[str]]:
        """The answers saved while the attempt was open, as the form's initial values, so the page
        comes back with them chosen (and submits them without JavaScript too)."""
        initial: dict[str, str | list[str]] = {}
        for question in questions:
            chosen = [str(pk) for pk in saved.get(question["id"], [])]
            if chosen:
                initial[cls.field_name(question["id"])] = chosen if question["multiple"] else chosen[0]
        return initial

    def bound_questions(self) -> list[dict]:
        """Each question with its bound field, for the template."""
        return [{**question, "field": self[self.field_name(question["id"])]} for question in self.questions]

    def answers(self) -> dict[int, list[int]]:
        answers: dict[int, list[int]] = {}
        for question in self.questions:
            value = self.cleaned_data.get(self.field_name(question["id"]))
            if value in (None, "", []):
                continue
            values = value if isinstance(value, list) else [value]
            answers[question["id"]] = [int(item) for item in values]
        return answers
