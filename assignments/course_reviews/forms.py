from __future__ import annotations

from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from assignments.course_reviews.models import COMMENT_MAX_LENGTH, RATINGS
from courses.models import Quiz

RATING_LABELS = {
    1: _("1 – poor"),
    2: _("2 – fair"),
    3: _("3 – good"),
    4: _("4 – very good"),
    5: _("5 – excellent"),
}


class QuestionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        kind = obj.quiz.get_kind_display() if obj.quiz.kind != Quiz.Kind.FINAL else ""
        text = Truncator(obj.text).chars(90)
        return f"{kind}: {text}" if kind else text


class CourseReviewForm(forms.Form):
    # The id of the review being changed; empty for a new one. A second submission of the "new
    # review" form (another tab, a double click) is told the course is already reviewed.
    review_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(value, RATING_LABELS[value]) for value in reversed(RATINGS)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    useful = forms.CharField(
        label=_("What was useful?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. At most 2000 characters."),
    )
    unclear = forms.CharField(
        label=_("What was unclear?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional. At most 2000 characters."),
    )
    unclear_question = QuestionChoiceField(
        label=_("A question that was unclear"),
        required=False,
        queryset=None,
        empty_label=_("None"),
        help_text=_("Optional: a quiz question whose wording or answer was unclear."),
        error_messages={"invalid_choice": _("Choose a question from this course's quizzes.")},
    )

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unclear_question"].queryset = questions
        for name in ("useful", "unclear"):
            # Django's message names the limit and the length typed, e.g. "at most 2000 characters (it has 2101)".
            self.fields[name].error_messages["max_length"] = _(
                "At most %(limit_value)d characters (it has %(show_value)d)."
            )


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approved", _("Approve")), ("hidden", _("Hide"))],
        error_messages={"required": _("Choose approve or hide."), "invalid_choice": _("Choose approve or hide.")},
    )
