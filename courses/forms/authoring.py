"""Forms of the authoring pages. They parse input; the services in courses.services.authoring
validate again and save."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MinValueValidator, URLValidator
from django.forms import inlineformset_factory
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from courses import files as course_files
from courses.models import MAX_DUE_DAYS, Choice, Course, LearningResource, Module, Question, Quiz
from courses.services.authoring import question_choice_messages
from courses.services.package_archive import is_zip
from courses.services.packages import KEY_PATTERN, course_rule_problems
from lms.fields import MAX_FORMSET_ROWS
from lms.html import sanitise_html
from lms.languages import language_choices
from lms.uploads import read_text_upload

# Its own code, so that URLField's generic "invalid" message does not replace it.
https_only = URLValidator(schemes=["https"], message=_("Enter an absolute https:// link."), code="not_https")


def _url_field(label, help_text=""):
    return forms.URLField(
        label=label, required=False, max_length=200, assume_scheme="https", validators=[https_only], help_text=help_text
    )


class _CrispyMixin:
    """Crispy renders fields only: each template writes its own <form>, CSRF token and buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


# The maximum attempts a new course form starts with.
DEFAULT_MAX_ATTEMPTS = 3


class CourseForm(_CrispyMixin, forms.ModelForm):
    # The one way to say "unlimited": this box. The maximum is a number of at least 1 otherwise.
    unlimited_attempts = forms.BooleanField(
        label=_("Unlimited attempts"),
        required=False,
        help_text=_("Learners may take the final assessment as often as they need; the maximum below is not used."),
    )

    # The settings grouped as authors think of them; every field of Meta.fields is in one group.
    FIELDSETS = (
        (_("Basics"), ("code", "title", "description", "language", "cpd_points")),
        (_("Assessment"), ("pass_mark", "grading_method")),
        (_("Attempts"), ("unlimited_attempts", "max_attempts", "cooldown_first_minutes", "cooldown_later_minutes")),
        (
            _("Deadlines and recertification"),
            (
                "default_due_days",
                "recertification_months",
                "recertification_window_days",
                "expiry_rule",
                "fixed_expiry_month",
                "fixed_expiry_day",
                "grace_days",
            ),
        ),
        (_("Notifications and compliance"), ("compliance_critical",)),
    )

    class Meta:
        model = Course
        # The rules in model order, with the "unlimited" tick box just before the maximum.
        fields = [
            "code",
            "title",
            "description",
            "language",
            *[
                name
                for rule in Course.RULE_FIELDS
                for name in (("unlimited_attempts", rule) if rule == "max_attempts" else (rule,))
            ],
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].required = True
        self.fields["language"] = forms.ChoiceField(
            label=_("Language"),
            choices=language_choices(),
            initial=self.instance.language,
            # A form posted without it (an older page, a script) keeps the course's language.
            required=False,
            help_text=_("The language the course is written in; translations into other languages come on top."),
        )
        self.fields["default_due_days"].min_value = 1
        self.fields["default_due_days"].widget.attrs["min"] = 1
        self.fields["default_due_days"].widget.attrs["max"] = MAX_DUE_DAYS
        self.fields["default_due_days"].help_text = _("Between 1 and %(max)s days.") % {"max": MAX_DUE_DAYS}
        self.fields["cpd_points"].min_value = 0
        self.fields["cpd_points"].widget.attrs["min"] = 0
        # The field's message before the named constraint (course_max_attempts_positive).
        self.fields["max_attempts"].validators.append(
            MinValueValidator(
                1, message=_("Maximum attempts must be at least 1; tick “Unlimited attempts” for no limit.")
            )
        )
        self.fields["max_attempts"].widget.attrs["min"] = 1
        self.fields["max_attempts"].help_text = _("How many times a learner may take the final assessment.")
        self.fields["compliance_critical"].help_text = _(
            "Learners confirm with their password before submitting the final assessment, and emails mark the "
            "course as compliance-critical. Reminders and escalation follow the course's escalation policy."
        )
        self.helper.layout = Layout(
            *[Fieldset(legend, *names) for legend, names in self.FIELDSETS],
        )
        if self.instance.pk:
            self.initial["unlimited_attempts"] = self.instance.max_attempts is None
        else:
            # A new course starts with a usual limit rather than a blank that fails the first save.
            self.initial.setdefault("max_attempts", DEFAULT_MAX_ATTEMPTS)
            if self.instance.version > 1:
                self.fields["code"].disabled = True

    def clean(self):
        data = super().clean()
        if not data.get("language") and "language" not in self.errors:
            data["language"] = self.instance.language or settings.LANGUAGE_CODE
        if data.get("unlimited_attempts"):
            data["max_attempts"] = None
        elif data.get("max_attempts") is None and "max_attempts" not in self.errors:
            self.add_error("max_attempts", _("Enter the maximum attempts, or tick “Unlimited attempts”."))
        if data.get("expiry_rule"):
            for message in course_rule_problems(
                expiry_rule=data["expiry_rule"],
                recertification_months=data.get("recertification_months"),
                fixed_expiry_month=data.get("fixed_expiry_month"),
                fixed_expiry_day=data.get("fixed_expiry_day"),
            ):
                self.add_error("expiry_rule", message[0].upper() + message[1:] + ".")
        return data

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "unlimited_attempts"}
        if self.fields["code"].disabled:
            data.pop("code")
        return data

    def _post_clean(self):
        # The service runs full_clean; skipping the model validation here keeps one source of errors.
        pass


def _key_field(help_text):
    return forms.CharField(
        label=_("Key"),
        max_length=60,
        required=False,
        help_text=help_text,
    )


def _limit(content_type: str) -> str:
    return filesizeformat(course_files.max_bytes(content_type))


def _file_help(accept: tuple[str, ...], extra: str = "") -> str:
    kinds = ", ".join(str(course_files.TYPE_NAMES[t]) for t in accept)
    limits = "; ".join(dict.fromkeys(f"{course_files.TYPE_NAMES[t]} {_('up to')} {_limit(t)}" for t in accept).keys())
    text = _("Optional. Accepted: %(kinds)s (%(limits)s); the type is checked from the file's content.") % {
        "kinds": kinds,
        "limits": limits,
    }
    return f"{text} {extra}".strip()


_file_help_lazy = lazy(_file_help, str)


def _file_field(label, accept: tuple[str, ...], extra: str = ""):
    return forms.FileField(
        label=label,
        required=False,
        help_text=_file_help_lazy(accept, extra),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(accept)}),
    )


# The editor (static/js/rich-editor.js) takes over a textarea with this attribute; without
# JavaScript the textarea stays and takes the same HTML.
RICH_TEXT = {
    "data-rich-text": "true",
    # The editor's words, translated here: the script has no catalogue of its own.
    "data-label-toolbar": _("Formatting"),
    "data-label-editor": _("Body editor"),
    "data-label-header": _("Heading"),
    "data-label-normal": _("Paragraph"),
    "data-label-h3": _("Heading 3"),
    "data-label-h4": _("Heading 4"),
    "data-label-bold": _("Bold"),
    "data-label-italic": _("Italic"),
    "data-label-underline": _("Underline"),
    "data-label-ordered": _("Numbered list"),
    "data-label-bullet": _("Bulleted list"),
    "data-label-blockquote": _("Quote"),
    "data-label-code-block": _("Code"),
    "data-label-link": _("Link"),
    "data-label-clean": _("Remove formatting"),
    "data-label-source": _("Edit as HTML"),
    "data-label-visual": _("Back to the editor"),
    "data-label-kept-html": _(
        "This body uses HTML the editor cannot show (for example a table), so it is edited as HTML to keep it whole."
    ),
}


class _KeyedForm(_CrispyMixin, forms.ModelForm):
    """Module and resource forms: an empty key is made from the title."""

    FILE_FIELDS: tuple[str, ...] = ()
    uses_rich_text = True  # the form page loads the editor (templates/courses/authoring/form.html)

    def clean_key(self):
        key = self.cleaned_data.get("key", "").strip()
        if key and not KEY_PATTERN.match(key):
            raise ValidationError(_("Use lowercase letters, digits and single hyphens, e.g. m1-introduction."))
        return key

    def clean(self):
        data = super().clean()
        if not data.get("key") and data.get("title"):
            from django.utils.text import slugify

            data["key"] = "-".join(part for part in slugify(data["title"]).replace("_", "-").split("-") if part)[:60]
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The editor loads the saved body: reduce it to the safe subset first, should a row ever
        # have been written around the ORM (Meeds-io/social#5814: sanitise on initialisation).
        if self.initial.get("body"):
            self.initial["body"] = sanitise_html(self.initial["body"])

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name not in self.FILE_FIELDS}
        for name in self.FILE_FIELDS:
            # The service's convention: a new upload replaces, False removes, None keeps.
            value = self.cleaned_data.get(name)
            data[name] = value if isinstance(value, UploadedFile) else (False if value is False else None)
        return data

    def _post_clean(self):
        pass


class ModuleForm(_KeyedForm):
    key = _key_field(_("Stable reference used in course packages; made from the title when left empty."))
    video_url = _url_field(_("Video link"), _("Optional: an https:// link."))
    file_url = _url_field(_("File link"), _("Optional: an https:// link."))
    attachment = _file_field(_("Document or image"), course_files.DOCUMENT_OR_IMAGE)
    video = _file_field(
        _("Video"), course_files.VIDEO, _("Learners who watch it to the end have the module marked as done.")
    )
    captions = _file_field(_("Captions for the video"), course_files.CAPTIONS)
    FILE_FIELDS = ("attachment", "video", "captions")

    class Meta:
        model = Module
        fields = [
            "title",
            "key",
            "body",
            "video_url",
            "file_url",
            "attachment",
            "video",
            "captions",
            "estimated_minutes",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 12, **RICH_TEXT})}
        labels = {"body": _("Body")}
        help_texts = {
            "body": _(
                "What the learner reads. Keep to what the toolbar offers: paragraphs, headings, bulleted and "
                "numbered lists, bold and italic text, links, quotes and code. Anything else (pictures, colours "
                "and fonts, embedded videos or forms, scripts) is removed when you save; add pictures and video "
                "with the fields below."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].required = True
        self.fields["estimated_minutes"].min_value = 1
        self.fields["estimated_minutes"].widget.attrs["min"] = 1


class ResourceForm(_KeyedForm):
    key = _key_field(_("Stable reference used by questions and packages; made from the title when left empty."))
    url = _url_field(_("Link"), _("An https:// link, or upload a file below; leave empty for a cheat sheet."))
    attachment = _file_field(
        _("File"), course_files.ANY_MEDIA, _("For a video resource an MP4; for a document a PDF or an image.")
    )
    FILE_FIELDS = ("attachment",)

    class Meta:
        model = LearningResource
        fields = ["title", "key", "kind", "url", "attachment", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8, **RICH_TEXT})}
        labels = {"body": _("Body")}
        help_texts = {
            "body": _(
                "Cheat sheets only: the same simple formatting as a module body; anything else is removed when "
                "you save."
            ),
        }


class QuizForm(_CrispyMixin, forms.ModelForm):
    class Meta:
        model = Quiz
        fields = ["kind", "title", "module", "pass_mark", "shuffle_questions", "shuffle_choices", "retake_missed_only"]
        help_texts = {
            "module": _("Only for a module check: the module it follows."),
            "pass_mark": _(
                "Empty: the course pass mark applies. The final assessment always uses the course pass mark."
            ),
        }

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["module"].queryset = Module.objects.filter(course=course).order_by("order", "pk")

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        # The field's message before the named constraints (quiz_one_final_per_course, ..._pretest_...).
        once = {
            Quiz.Kind.FINAL: _("A course has at most one final assessment."),
            Quiz.Kind.PRETEST: _("A course has at most one diagnostic pre-test."),
        }
        if kind in once and self.course.quizzes.filter(kind=kind).exclude(pk=self.instance.pk).exists():
            raise ValidationError(once[kind])
        return kind

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self):
        pass


class QuestionForm(_CrispyMixin, forms.ModelForm):
    # A new question only: its true/false choices are made from this answer.
    true_false_answer = forms.TypedChoiceField(
        label=_("Right answer (true/false questions)"),
        choices=[("true", _("True")), ("false", _("False"))],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("For a true/false question, leave the choices below empty: “True” and “False” are made for you."),
    )

    class Meta:
        model = Question
        fields = ["kind", "text", "explanation", "objective", "remediation_module", "remediation_resource"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3}), "explanation": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "remediation_module": _("Where a learner who gets it wrong is sent: a module or a resource, not both."),
        }

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields in page order, the true/false answer right after the kind.
        self.order_fields(["kind", "true_false_answer"])
        if self.instance.pk:
            # A saved question's true/false answer is ticked among its choices.
            del self.fields["true_false_answer"]
        modules = Module.objects.filter(course=course).order_by("order", "pk")
        self.fields["objective"].queryset = modules
        self.fields["objective"].required = True
        self.fields["explanation"].required = True
        self.fields["remediation_module"].queryset = modules
        self.fields["remediation_resource"].queryset = LearningResource.objects.filter(course=course).order_by(
            "order", "pk"
        )

    def clean(self):
        data = super().clean()
        if bool(data.get("remediation_module")) == bool(data.get("remediation_resource")):
            self.add_error("remediation_module", _("Choose exactly one review link: a module or a resource."))
        return data

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self):
        pass


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ["text", "is_correct", "feedback"]
        widgets = {"feedback": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"feedback": _("Optional: shown when a learner picks this choice.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty rows are skipped, so the text is only needed once anything else is filled in.
        self.fields["text"].required = False

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and (data.get("is_correct") or (data.get("feedback") or "").strip()):
            self.add_error("text", _("Write the text of this choice, or clear the row."))
        return data


class BaseChoiceFormSet(forms.BaseInlineFormSet):
    """The choices of a question. Given the question form posted with them (``question_form``),
    they are checked against its kind's rules when saved, not first when the course is published;
    a new true/false question with no choices needs its answer on the question form."""

    def __init__(self, *args, question_form: QuestionForm | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.question_form = question_form

    def clean(self):
        super().clean()
        texts = [
            form.cleaned_data["text"].strip()
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text")
        ]
        if len(set(texts)) != len(texts):
            raise ValidationError(_("Two choices of a question cannot have the same text."))
        if self.question_form is None or any(form.errors for form in self.forms):
            return
        self.question_form.is_valid()  # cleaned once, however often asked
        kind = self.question_form.cleaned_data.get("kind")
        rows = self.service_rows()
        if not kind:
            return
        if kind == Question.Kind.TRUE_FALSE and not rows and "true_false_answer" in self.question_form.fields:
            if self.question_form.cleaned_data.get("true_false_answer") is None:
                self.question_form.add_error("true_false_answer", _("Say whether the statement is true or false."))
            return
        problems = question_choice_messages(kind, [(row["text"], row["is_correct"]) for row in rows])
        if problems:
            raise ValidationError(problems)

    def service_rows(self) -> list[dict]:
        """The kept, non-empty choices in page order, as the question services take them."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not data.get("text"):
                continue
            rows.append(
                {
                    "id": form.instance.pk,
                    "text": data["text"],
                    "is_correct": data.get("is_correct", False),
                    "feedback": data.get("feedback", ""),
                }
            )
        return rows


def choice_formset(*, new_question: bool):
    """The choices of a question: four empty rows for a new question, two more for an existing one."""
    return inlineformset_factory(
        Question,
        Choice,
        form=ChoiceForm,
        formset=BaseChoiceFormSet,
        fields=["text", "is_correct", "feedback"],
        extra=4 if new_question else 2,
        can_delete=True,
        max_num=MAX_FORMSET_ROWS,  # a posted form count is believed up to here, see lms.fields
        absolute_max=MAX_FORMSET_ROWS,
    )


class PackageUploadForm(_CrispyMixin, forms.Form):
    package = forms.FileField(
        label=_("Course package (.json, or .zip for a course with files)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.zip,application/json,application/zip"}),
    )
    publish = forms.BooleanField(label=_("Publish after importing"), required=False)

    def clean_package(self):
        upload = self.cleaned_data["package"]
        upload.seek(0)
        head = upload.read(4)
        upload.seek(0)
        if is_zip(head):
            # A zip package (format version 2): its own limit; its entries are checked on reading.
            limit = settings.COURSE_PACKAGE_MAX_BYTES
            if upload.size > limit:
                raise ValidationError(
                    _("The file is too large (%(size)s); the limit is %(limit)s.")
                    % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
                )
            return upload
        # Size limit, and a PDF or other binary file instead of JSON text is refused here.
        read_text_upload(upload, expected="JSON")
        return upload
