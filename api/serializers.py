"""What the API shows of each record, and what its writes accept. Field names are the README's
and the CSV formats' (``employee_id``, ``course_code``, ``due_date``...)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from assignments.models import Assignment, Completion
from assignments.state import ComplianceState
from courses.models import Course
from lms.dates import MAX_DATE, MIN_DATE, validate_date_range
from lms.models import User
from reports.selectors import STATES

# The compliance states the API reports (DESIGN "Compliance state"): the rule's states, and
# ``not_required`` for a course a person has no active assignment for.
STATE_CHOICES = [state.value for state in ComplianceState] + ["not_required"]


class PersonSerializer(serializers.ModelSerializer):
    department = serializers.IntegerField(source="department_id", allow_null=True, read_only=True)
    department_name = serializers.CharField(source="department.name", allow_null=True, default=None, read_only=True)
    manager = serializers.IntegerField(source="manager_id", allow_null=True, read_only=True)
    manager_email = serializers.EmailField(source="manager.email", allow_null=True, default=None, read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "employee_id",
            "job_title",
            "department",
            "department_name",
            "manager",
            "manager_email",
            "hire_date",
            "timezone",
            "active",
            "deactivated_at",
            "date_joined",
            "updated_at",
        ]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "version",
            "title",
            "status",
            "compliance_critical",
            "pass_mark",
            "max_attempts",
            "default_due_days",
            "recertification_months",
            "recertification_window_days",
            "updated_at",
        ]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    learner = serializers.IntegerField(source="learner_id", read_only=True)
    learner_email = serializers.EmailField(source="learner.email", read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    course_version = serializers.IntegerField(source="course.version", read_only=True)
    state = serializers.ChoiceField(
        choices=[state.value for state in ComplianceState],
        read_only=True,
        help_text="The compliance state today by the one rule (assignments/state.py); archived rows are `archived`.",
    )
    archived_reason = serializers.ChoiceField(
        choices=Assignment.ArchiveReason.choices, allow_null=True, read_only=True, help_text="null while active."
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "learner",
            "learner_email",
            "course",
            "course_code",
            "course_version",
            "source",
            "status",
            "state",
            "assigned_at",
            "due_date",
            "completed_at",
            "archived_at",
            "archived_reason",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["archived_reason"] = data["archived_reason"] or None
        return data


class CompletionSerializer(serializers.ModelSerializer):
    learner = serializers.IntegerField(source="learner_id", read_only=True)
    learner_email = serializers.EmailField(source="learner.email", read_only=True)
    employee_id = serializers.CharField(source="learner.employee_id", allow_null=True, read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    assignment = serializers.IntegerField(source="assignment_id", allow_null=True, read_only=True)
    completed_on = serializers.DateField(read_only=True, help_text="The learner's local date of the completion.")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, read_only=True, coerce_to_string=True
    )
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Completion
        fields = [
            "id",
            "learner",
            "learner_email",
            "employee_id",
            "course",
            "course_code",
            "course_version",
            "course_title",
            "assignment",
            "completed_at",
            "completed_on",
            "score",
            "certificate_number",
            "expires_on",
            "source",
            "recorded_at",
        ]
        read_only_fields = fields


class CompletionPageSerializer(serializers.Serializer):
    results = CompletionSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Keep it: the next pull starts after the last completion here.")
    has_more = serializers.BooleanField(help_text="More completions are ready now: ask again with next_cursor.")


class CourseStateSerializer(serializers.Serializer):
    course_code = serializers.CharField()
    course_title = serializers.CharField()
    state = serializers.ChoiceField(choices=STATE_CHOICES)
    assignment = serializers.IntegerField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)


class PersonComplianceSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    day = serializers.DateField(help_text="The person's own date the states are for.")
    courses = CourseStateSerializer(many=True)


class StateCountsSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="Course code or department id; null for everything.")
    label = serializers.CharField()
    required = serializers.IntegerField()
    compliant = serializers.IntegerField()
    non_compliant = serializers.IntegerField()
    excused = serializers.IntegerField()
    percent = serializers.FloatField(
        allow_null=True, help_text="compliant / (required - excused) in percent; null when nobody is required."
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Assignments per state: " + ", ".join(STATES) + "."
    )


class OrganisationReportSerializer(serializers.Serializer):
    day = serializers.DateField()
    total = StateCountsSerializer()
    by_course = StateCountsSerializer(many=True)
    by_department = StateCountsSerializer(many=True)


class DueDateField(serializers.DateField):
    """A due date in the project's range (lms.dates: MIN_DATE..MAX_DATE), as every form takes it:
    9999-12-31 is a typing mistake, and far dates overflow the date arithmetic of reminders."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"YYYY-MM-DD, between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.")
        super().__init__(**kwargs)
        self.validators.append(validate_date_range)


def _due_fields_valid(attrs: dict) -> dict:
    if attrs.get("due_date") is not None and attrs.get("due_days") is not None:
        raise serializers.ValidationError({"due_days": [_("Give due_date or due_days, not both.")]})
    return attrs


class AssignSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1, help_text="The person's id.")
    course_code = serializers.CharField(max_length=40, help_text="The newest published version is assigned.")
    due_date = DueDateField(required=False, allow_null=True)
    due_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=3650,
        help_text="Days from today; without due_date or due_days, the course's default due period.",
    )
    notify = serializers.BooleanField(default=True, help_text="Send the learner the assignment email.")

    def validate(self, attrs):
        return _due_fields_valid(attrs)


class ArchiveSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Assignment.ArchiveReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReassignSerializer(serializers.Serializer):
    due_date = DueDateField(required=False, allow_null=True)
    due_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=3650)
    reason = serializers.ChoiceField(
        choices=Assignment.ArchiveReason.choices, default=Assignment.ArchiveReason.RETRAINING
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    notify = serializers.BooleanField(default=True)

    def validate(self, attrs):
        return _due_fields_valid(attrs)


class ProblemErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="JSON pointer to the field: #/due_date; # for the whole request.")
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    errors = ProblemErrorSerializer(many=True, required=False)
    scope = serializers.CharField(required=False, help_text="The scope the token lacks (insufficient-scope).")
