"""The endpoints of ``/api/v1/``: thin. Each parses its query or body with a serializer, reads
through the selectors or writes through the services of the apps below, and answers JSON.

Writes run inside ``lms.audit.audit_via(token)``: every audit row they cause (assignment created,
archived...) names the token in its reason, the actor column staying empty as for any system job
(an integration is not a person). The services queue the same outbox rows as the browser's."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from api import feed
from api.models import ApiToken
from api.parsers import ApiJSONParser
from api.problems import CONTENT_TYPE, Conflict
from api.serializers import (
    ArchiveSerializer,
    AssignmentSerializer,
    AssignSerializer,
    CompletionPageSerializer,
    CompletionSerializer,
    CourseSerializer,
    OrganisationReportSerializer,
    PersonComplianceSerializer,
    PersonSerializer,
    ProblemSerializer,
    ReassignSerializer,
)
from assignments.models import Assignment
from assignments.selectors.learner import learner_today
from assignments.services.archive import assignment_reassign, assignments_archive
from assignments.services.assign import DueMode, DueSpec, assignment_create, course_for_code
from assignments.state import with_compliance_state
from courses.models import Course
from lms.audit import audit_via
from lms.models import Department, User
from lms.selectors import department_subtree_ids
from reports.selectors import Scope, scoped_assignments, summarise

READ_PEOPLE = {"GET": ApiToken.Scope.PEOPLE_READ.value}
READ_TRAINING = {"GET": ApiToken.Scope.TRAINING_READ.value}
WRITE_ASSIGNMENTS = {"POST": ApiToken.Scope.ASSIGNMENTS_WRITE.value}


def problems(*codes: int) -> dict:
    """The problem-details responses of an operation, for the schema."""
    descriptions = {
        400: "Invalid fields or query parameters (validation-error) or a body that is not JSON.",
        401: "No token, an unknown one or a revoked one (not-authenticated).",
        403: "The token lacks the scope this needs (insufficient-scope).",
        404: "No such record (not-found).",
        409: "The record does not allow this as it stands (conflict).",
        406: "The Accept header asks for a format other than JSON (not-acceptable).",
        415: "The body is not application/json.",
        429: "Too many requests for this token: wait for Retry-After seconds (rate-limited).",
    }
    return {
        (code, CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=descriptions[code])
        for code in (401, 403, 406, 429, *codes)
    }


def scope_text(scopes: dict) -> str:
    return " ".join(f"{method} needs the scope `{scope}`." for method, scope in scopes.items())


class IdCursorPagination(CursorPagination):
    """Pages in id order, stable while rows are added. The cursor is opaque but not signed (DRF's
    cursors are base64 of ``o=..&r=..&p=..``): a client can forge one, so it is read strictly here;
    a position that is not an id, or a cursor that does not decode, is a 400 naming ``cursor``."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        # DRF answers a cursor it cannot read with 404; it is a bad query parameter (400). DRF
        # takes any position it decodes and filters ``id > position`` with it, which answers a 500
        # for "abc", "", "1.5" or a NUL: the position is the last id of a page, ASCII digits only.
        invalid = serializers.ValidationError({"cursor": [_("This cursor is not one this API gave out.")]})
        try:
            cursor = super().decode_cursor(request)
        except (NotFound, ValueError, TypeError, UnicodeError) as error:
            raise invalid from error
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not (position.isascii() and position.isdigit() and len(position) <= 18):
                raise invalid
        return cursor

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # DRF describes the links with OpenAPI 3.0's ``nullable``; the document is OpenAPI 3.1.
        link = {
            "type": ["string", "null"],
            "format": "uri",
            "description": "The next or previous page; null at the end.",
        }
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema(exclude=True)
class NoEndpointView(APIView):
    """Any path under /api/v1/ that is no endpoint: a problem (401 without a token, else 404), not
    the site's HTML page."""

    required_scopes: dict = {}

    def _none(self, request, *args, **kwargs):
        raise NotFound(_("There is no endpoint at this path."))

    get = post = put = patch = delete = head = options = _none


# --- people -----------------------------------------------------------------------------------


class PeopleFilter(serializers.Serializer):
    department = serializers.IntegerField(required=False, min_value=1, help_text="A department's id.")
    include_subdepartments = serializers.BooleanField(
        required=False, default=False, help_text="With department: the departments inside it too."
    )
    active = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="false: leavers.")
    updated_since = serializers.DateTimeField(
        required=False,
        help_text=(
            "People whose record changed at or after this time (ISO 8601), counting a change of "
            "their manager's record (manager_email) or their department's (department_name)."
        ),
    )
    email = serializers.EmailField(required=False, help_text="One person by sign-in email (any case).")


@extend_schema(
    tags=["people"],
    parameters=[PeopleFilter],
    responses={200: PersonSerializer(many=True), **problems(400)},
    description="Everyone, in id order. " + scope_text(READ_PEOPLE),
)
class PeopleView(generics.ListAPIView):
    required_scopes = READ_PEOPLE
    serializer_class = PersonSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        wanted = _validated(PeopleFilter, self.request.query_params)
        qs = User.objects.select_related("department", "manager")
        if "department" in wanted:
            department = Department.objects.filter(pk=wanted["department"]).first()
            if department is None:
                raise serializers.ValidationError({"department": [_("There is no department with this id.")]})
            ids = department_subtree_ids(department) if wanted["include_subdepartments"] else [department.pk]
            qs = qs.filter(department_id__in=ids)
        if wanted.get("active") is not None:
            qs = qs.filter(is_active=wanted["active"])
        if "updated_since" in wanted:
            # A person's record here shows their manager's email and their department's name:
            # it changed when either of those rows did, as well as when their own did.
            since = wanted["updated_since"]
            qs = qs.filter(
                Q(updated_at__gte=since) | Q(manager__updated_at__gte=since) | Q(department__updated_at__gte=since)
            )
        if "email" in wanted:
            qs = qs.filter(email__iexact=wanted["email"])
        return qs


@extend_schema(tags=["people"], responses={200: PersonSerializer, **problems(404)}, description=scope_text(READ_PEOPLE))
class PersonView(generics.RetrieveAPIView):
    required_scopes = READ_PEOPLE
    serializer_class = PersonSerializer
    queryset = User.objects.select_related("department", "manager")


class ComplianceFilter(serializers.Serializer):
    course = serializers.CharField(required=False, max_length=40, help_text="One course code.")


@extend_schema(
    tags=["training"],
    parameters=[ComplianceFilter],
    responses={200: PersonComplianceSerializer, **problems(400, 404)},
    description=(
        "The person's compliance state for each course they must do (their active assignments), on "
        "their own date, by the one rule (assignments/state.py). With ?course=CODE, that course "
        "alone: `not_required` when they have no active assignment for it. " + scope_text(READ_TRAINING)
    ),
)
class PersonComplianceView(APIView):
    required_scopes = READ_TRAINING

    def get(self, request, pk: int):
        person = get_object_or_404(User, pk=pk)
        code = _validated(ComplianceFilter, request.query_params).get("course", "")
        day = learner_today(person)
        qs = Assignment.objects.filter(learner=person, archived_at=None).select_related("course")
        if code:
            qs = qs.filter(course_code__iexact=code)
        rows = [
            {
                "course_code": a.course_code,
                "course_title": a.course.title,
                "state": a.state,
                "assignment": a.pk,
                "due_date": a.due_date,
                "completed_at": a.report_completed_at,
                "expires_on": a.report_expires_on,
            }
            for a in with_compliance_state(qs, day=day).order_by("course_code")
        ]
        if code and not rows:
            course = course_for_code(code) or Course.objects.filter(code__iexact=code).order_by("-version").first()
            if course is None:
                raise serializers.ValidationError({"course": [_("There is no course with this code.")]})
            rows.append(
                {
                    "course_code": course.code,
                    "course_title": course.title,
                    "state": "not_required",
                    "assignment": None,
                    "due_date": None,
                    "completed_at": None,
                    "expires_on": None,
                }
            )
        return Response(PersonComplianceSerializer({"person": person.pk, "day": day, "courses": rows}).data)


# --- courses ----------------------------------------------------------------------------------


class CourseFilter(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=40, help_text="Every version of one course code.")
    status = serializers.ChoiceField(required=False, choices=Course.Status.choices)


@extend_schema(
    tags=["training"],
    parameters=[CourseFilter],
    responses={200: CourseSerializer(many=True), **problems(400)},
    description="Every course version, in id order. " + scope_text(READ_TRAINING),
)
class CoursesView(generics.ListAPIView):
    required_scopes = READ_TRAINING
    serializer_class = CourseSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        wanted = _validated(CourseFilter, self.request.query_params)
        qs = Course.objects.all()
        if wanted.get("code"):
            qs = qs.filter(code__iexact=wanted["code"])
        if wanted.get("status"):
            qs = qs.filter(status=wanted["status"])
        return qs


# --- assignments ------------------------------------------------------------------------------


class AssignmentFilter(serializers.Serializer):
    learner = serializers.IntegerField(required=False, min_value=1, help_text="A person's id.")
    course_code = serializers.CharField(required=False, max_length=40)
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: not archived; false: archived."
    )
    status = serializers.ChoiceField(required=False, choices=Assignment.Status.choices)


def _assignments():
    qs = Assignment.objects.select_related("learner", "course")
    return with_compliance_state(qs, day=timezone.localdate(), archived=True)


def _due(course: Course, data: dict) -> DueSpec:
    if data.get("due_date") is not None:
        return DueSpec(mode=DueMode.FIXED, date=data["due_date"])
    days = data["due_days"] if data.get("due_days") is not None else course.default_due_days
    return DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=days)


def _assignment_response(pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(AssignmentSerializer(_assignments().get(pk=pk)).data, status=code)


@extend_schema(tags=["assignments"])
class AssignmentsView(generics.ListAPIView):
    parser_classes = [ApiJSONParser]
    required_scopes = {**READ_TRAINING, **WRITE_ASSIGNMENTS}
    serializer_class = AssignmentSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        wanted = _validated(AssignmentFilter, self.request.query_params)
        qs = _assignments()
        if "learner" in wanted:
            qs = qs.filter(learner_id=wanted["learner"])
        if wanted.get("course_code"):
            qs = qs.filter(course_code__iexact=wanted["course_code"])
        if wanted.get("active") is not None:
            qs = qs.filter(archived_at__isnull=wanted["active"])
        if wanted.get("status"):
            qs = qs.filter(status=wanted["status"])
        return qs

    @extend_schema(
        parameters=[AssignmentFilter],
        responses={200: AssignmentSerializer(many=True), **problems(400)},
        description="Assignments active and archived, in id order, each with its compliance state today. "
        + scope_text(READ_TRAINING),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=AssignSerializer,
        responses={201: AssignmentSerializer, **problems(400, 415)},
        description=(
            "Assign a course (its newest published version) to one person, through the same service "
            "as the browser: the assignment email goes through the outbox, the audit row names the "
            "token. A person who already has the course active is a 400 naming the due date. "
            + scope_text(WRITE_ASSIGNMENTS)
        ),
    )
    def post(self, request):
        data = _validated(AssignSerializer, request.data)
        learner = User.objects.filter(pk=data["learner"]).first()
        if learner is None:
            raise serializers.ValidationError({"learner": [_("There is no person with this id.")]})
        course = course_for_code(data["course_code"])
        if course is None:
            raise serializers.ValidationError({"course_code": [_("There is no published course with this code.")]})
        with audit_via(request.auth.audit_label), transaction.atomic():
            try:
                assignment = assignment_create(
                    course=course,
                    learner=learner,
                    due=_due(course, data),
                    notify=data["notify"],
                    source=Assignment.Source.API,
                )
            except DjangoValidationError as error:
                raise serializers.ValidationError(_field_errors(error, default="learner")) from error
        return _assignment_response(assignment.pk, status.HTTP_201_CREATED)


def _field_errors(error: DjangoValidationError, *, default: str) -> dict:
    """A service's ValidationError as serializer errors; messages without a field go on ``default``."""
    if hasattr(error, "error_dict"):
        return {
            (default if name == "__all__" else name): [str(m) for e in errors for m in e.messages]
            for name, errors in error.error_dict.items()
        }
    return {default: [str(message) for message in error.messages]}


@extend_schema(
    tags=["assignments"],
    responses={200: AssignmentSerializer, **problems(404)},
    description=scope_text(READ_TRAINING),
)
class AssignmentView(generics.RetrieveAPIView):
    required_scopes = READ_TRAINING
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        return _assignments()


@extend_schema(
    tags=["assignments"],
    request=ArchiveSerializer,
    responses={200: AssignmentSerializer, **problems(400, 404, 409, 415)},
    description=(
        "Archive an active assignment (its attempts and completion stay as evidence), through the "
        "same service as the browser. An assignment already archived is a 409. " + scope_text(WRITE_ASSIGNMENTS)
    ),
)
class AssignmentArchiveView(APIView):
    parser_classes = [ApiJSONParser]
    required_scopes = WRITE_ASSIGNMENTS

    def post(self, request, pk: int):
        get_object_or_404(Assignment, pk=pk)
        data = _validated(ArchiveSerializer, request.data)
        already = Conflict(_("This assignment is already archived."))
        with audit_via(request.auth.audit_label), transaction.atomic():
            # The row is locked and read again: of simultaneous requests one archives, the others
            # wait here, then see it archived (409). The service's count says it too.
            assignment = Assignment.objects.select_for_update().get(pk=pk)
            if assignment.archived_at is not None:
                raise already
            try:
                archived = assignments_archive(assignments=[assignment], reason=data["reason"], note=data["note"])
            except DjangoValidationError as error:
                raise serializers.ValidationError(_field_errors(error, default="reason")) from error
            if not archived:
                raise already
        return _assignment_response(assignment.pk)


@extend_schema(
    tags=["assignments"],
    request=ReassignSerializer,
    responses={201: AssignmentSerializer, **problems(400, 404, 409, 415)},
    description=(
        "Archive the assignment (if still active) and assign the course's newest published version "
        "afresh, through the same service as the browser; answers the new assignment. A person who "
        "has left, or has another active assignment of the course, is a 409. " + scope_text(WRITE_ASSIGNMENTS)
    ),
)
class AssignmentReassignView(APIView):
    parser_classes = [ApiJSONParser]
    required_scopes = WRITE_ASSIGNMENTS

    def post(self, request, pk: int):
        get_object_or_404(Assignment, pk=pk)
        data = _validated(ReassignSerializer, request.data)
        # The row is locked and read again, so of simultaneous re-assigns one goes through and the
        # others see the assignment archived with another active one (409), not a due-date error.
        with transaction.atomic():
            assignment = Assignment.objects.select_for_update(of=("self",)).select_related("learner").get(pk=pk)
            return self._reassign(request, assignment, data)

    def _reassign(self, request, assignment: Assignment, data: dict) -> Response:
        if not assignment.learner.is_active:
            raise Conflict(_("%(learner)s has left and cannot be assigned training.") % {"learner": assignment.learner})
        course = course_for_code(assignment.course_code)
        if course is None:
            raise Conflict(_("%(code)s has no published version to assign.") % {"code": assignment.course_code})
        if (
            assignment.archived_at is not None
            and Assignment.objects.filter(
                learner_id=assignment.learner_id, course_code=assignment.course_code, archived_at=None
            ).exists()
        ):
            raise Conflict(_("The learner already has another active assignment of this course."))
        with audit_via(request.auth.audit_label):
            try:
                new = assignment_reassign(
                    assignment=assignment,
                    due=_due(course, data),
                    reason=data["reason"],
                    note=data["note"],
                    notify=data["notify"],
                )
            except DjangoValidationError as error:
                raise serializers.ValidationError(_field_errors(error, default="due_date")) from error
        return _assignment_response(new.pk, status.HTTP_201_CREATED)


# --- completions ------------------------------------------------------------------------------


class CompletionFeedFilter(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, max_length=2000, help_text="next_cursor from the last pull; none: from the first completion."
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=feed.MAX_PAGE_SIZE, default=feed.DEFAULT_PAGE_SIZE
    )


@extend_schema(
    tags=["training"],
    parameters=[CompletionFeedFilter],
    responses={200: CompletionPageSerializer, **problems(400)},
    description=(
        "Completions in the order they were recorded, for incremental (nightly) pulls: ask with the "
        "next_cursor of the last answer while has_more is true, and keep the last next_cursor for the "
        "next night. Every completion comes exactly once, also while new ones are being recorded "
        "(completions are never changed or deleted). " + scope_text(READ_TRAINING)
    ),
)
class CompletionsView(APIView):
    required_scopes = READ_TRAINING

    def get(self, request):
        wanted = _validated(CompletionFeedFilter, request.query_params)
        page = feed.completions_page(cursor=wanted.get("cursor"), page_size=wanted["page_size"])
        return Response(
            {
                "results": CompletionSerializer(page.results, many=True).data,
                "next_cursor": page.next_cursor,
                "has_more": page.has_more,
            }
        )


# --- reports ----------------------------------------------------------------------------------


MAX_REPORT_DEPARTMENTS = 100


class OrganisationFilter(serializers.Serializer):
    department = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Department ids (repeat the parameter, at most 100 different ones); each with the departments inside it.",
    )
    course = serializers.CharField(required=False, max_length=40, help_text="One course code.")
    as_of = serializers.DateField(required=False, help_text="A past day (YYYY-MM-DD): the counts as they stood.")

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            data = {**data.dict(), "department": data.getlist("department")} if "department" in data else data.dict()
        return super().to_internal_value(data)


def _counts(group, key) -> dict:
    return {
        "key": None if key is None else str(key),
        "label": group.label,
        "required": group.required,
        "compliant": group.compliant,
        "non_compliant": group.non_compliant,
        "excused": group.excused,
        "percent": group.percent,
        "counts": dict(group.counts),
    }


@extend_schema(
    tags=["reports"],
    parameters=[OrganisationFilter],
    responses={200: OrganisationReportSerializer, **problems(400)},
    description=(
        "The organisation compliance report's counts (the admin page's figures, counted live): "
        "assignments required per state, in total, by course and by department. " + scope_text(READ_TRAINING)
    ),
)
class OrganisationReportView(APIView):
    required_scopes = READ_TRAINING

    def get(self, request):
        wanted = _validated(OrganisationFilter, request.query_params)
        today = timezone.localdate()
        day = wanted.get("as_of") or today
        if day > today:
            raise serializers.ValidationError({"as_of": [_("Choose today or a day before it.")]})
        if day < dt.date(1900, 1, 1):
            raise serializers.ValidationError({"as_of": [_("Choose a day after 1900.")]})
        # Each id once (a repeated id is the same department), and at most MAX_REPORT_DEPARTMENTS.
        wanted_ids = list(dict.fromkeys(wanted.get("department", [])))
        if len(wanted_ids) > MAX_REPORT_DEPARTMENTS:
            raise serializers.ValidationError(
                {"department": [_("Give at most %(max)s departments.") % {"max": MAX_REPORT_DEPARTMENTS}]}
            )
        departments = Department.objects.in_bulk(wanted_ids)
        department_ids: list[int] = []
        for pk in wanted_ids:
            if pk not in departments:
                raise serializers.ValidationError(
                    {"department": [_("There is no department with id %(id)s.") % {"id": pk}]}
                )
            department_ids.extend(department_subtree_ids(departments[pk]))
        scope = Scope(department_ids=tuple(sorted(set(department_ids))), course_code=wanted.get("course", ""))
        summary = summarise(scoped_assignments(scope, day=day, history=day < today))
        return Response(
            OrganisationReportSerializer(
                {
                    "day": day,
                    "total": _counts(summary.total, None),
                    "by_course": [_counts(group, group.key) for group in summary.by_course],
                    "by_department": [_counts(group, group.key) for group in summary.by_department],
                }
            ).data
        )
