"""Access control on every URL of the project, in one table.

Each named URL has a row: the response to a GET for anonymous, a learner, another team's
manager, the learner's own manager and an admin, with the objects of one small organisation (a
learner with an assignment, a submitted attempt, a completion, a case file, a warning letter...).
Objects outside a user's scope are 404, role-forbidden pages 403, anonymous visitors are sent to
log in (302) except on the public pages. POST-only URLs answer 405 to a GET from someone allowed
to use them, and their row also says how a POST from each wrong role is refused.

``test_every_url_has_a_row`` fails when a URL is added without a row here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.models import ApiToken
from assignments.boosters.services import answer_token
from assignments.boosters.tests.factories import make_programme, queued_delivery
from assignments.course_reviews.services import course_review_submit
from assignments.cpd.models import CpdTarget, ExternalLearning
from assignments.models import AssignmentRule, ImportJob
from assignments.scorm_runtime.content import launch_token, package_uuid
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Quiz
from courses.scorm.services import scorm_package_import
from courses.scorm.testing import build_package
from courses.tests.factories import AssignmentFactory, ExemptionFactory, answers_for, make_course
from escalation.models import (
    EscalationPolicy,
    ReviewBooking,
    ReviewSession,
    WarningLetter,
    WebhookDelivery,
    WebhookEndpoint,
)
from escalation.recognition import rules
from escalation.recognition.models import Badge
from escalation.recognition.services import awards_grant
from escalation.recognition.tokens import well_done_token
from escalation.webhooks.signing import seal
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "learner", "other_manager", "own_manager", "admin")
# test-op/: the identity providers of the test settings (lms.tests.identity_providers), not the site's.
SKIPPED_PREFIXES = ("django-admin/", "static/", "media/", "test-op/")


@dataclass(frozen=True)
class Row:
    """Expected GET status per role (in ROLES order); ``post`` the status of a POST from each role
    that must be refused (role -> status), for URLs that change something."""

    get: tuple[int, int, int, int, int]
    kwargs: str = ""  # key into the world's kwargs
    post: dict[str, int] = field(default_factory=dict)
    query: str = ""  # a query string the page needs to show something


ANON_OK = (200, 200, 200, 200, 200)
LOGGED_IN = (302, 200, 200, 200, 200)
MANAGERS = (302, 403, 200, 200, 200)
ADMIN = (302, 403, 403, 403, 200)
ADMIN_POST = (302, 403, 403, 403, 405)
REFUSE_ADMIN_POST = {"anonymous": 302, "learner": 403, "other_manager": 403, "own_manager": 403}
# The learner's own records: the learner, their manager up the chain and admins; 404 for others.
OWN_AND_CHAIN = (302, 200, 404, 200, 200)
# Learner-only pages (the course player): another person's assignment does not exist for them.
LEARNER_ONLY = (302, 200, 404, 404, 404)
# Machine endpoints with bearer tokens only (SCIM): no session, whoever is signed in, is enough,
# and the answer is a 401 with the protocol's error body rather than a redirect to the login page.
BEARER_ONLY = (401, 401, 401, 401, 401)


def admin_post(kwargs: str = "") -> Row:
    return Row(ADMIN_POST, kwargs, REFUSE_ADMIN_POST)


TABLE: dict[str, Row] = {
    # lms: home, accounts, people, departments, audit
    "home": Row(LOGGED_IN),
    "login": Row((200, 302, 302, 302, 302)),
    "logout": Row((405, 405, 405, 405, 405)),
    # The language switcher (issue 16): POST only, for everyone (visitors get the cookie).
    "set_language": Row((405, 405, 405, 405, 405)),
    "password_change": Row(LOGGED_IN),
    "password_change_done": Row(LOGGED_IN),
    "password_reset": Row(ANON_OK),
    "password_reset_done": Row(ANON_OK),
    "password_reset_confirm": Row(ANON_OK, "reset"),
    "password_reset_complete": Row(ANON_OK),
    # The welcome email's link to set a first password (a bad token is a page that says so).
    "invitation_accept": Row(ANON_OK, "reset"),
    # Single sign-on (lms.sso; lms/tests/test_sso.py signs in through real providers): while a
    # protocol is not configured, as here, its pages send everyone to the log-in page saying so;
    # the ACS takes only the IdP's POST.
    "oidc_authentication_init": Row((302, 302, 302, 302, 302)),
    "oidc_authentication_callback": Row((302, 302, 302, 302, 302)),
    "saml2_login": Row((302, 302, 302, 302, 302)),
    "saml2_acs": Row((405, 405, 405, 405, 405)),
    "saml2_metadata": Row((302, 302, 302, 302, 302)),
    "sso_reauthenticate": Row((302, 302, 302, 302, 302)),
    "team": Row(MANAGERS),
    "people": Row(ADMIN),
    "person_create": Row(ADMIN),
    # The people pickers' search: admins and managers (each scoped to whom they may pick).
    "people_search": Row(MANAGERS, query="q=a"),
    "person_detail": Row(OWN_AND_CHAIN, "learner"),
    "person_edit": Row(ADMIN, "learner"),
    "person_deactivate": admin_post("learner"),
    "person_invite": admin_post("learner"),
    "people_invite": admin_post(),
    "departments": Row(ADMIN),
    "department_create": Row(ADMIN),
    "department_edit": Row(ADMIN, "department"),
    "audit": Row(ADMIN),
    "audit_export_csv": Row(ADMIN),
    "audit_export_pdf": Row(ADMIN),
    # courses: the learner's player
    "player_course": Row(LEARNER_ONLY, "assignment"),
    "player_module": Row(LEARNER_ONLY, "module"),
    "player_resource": Row(LEARNER_ONLY, "resource"),
    # issue 16: the learner picks the language they read their own course in (POST only).
    "player_language": Row(
        (302, 405, 405, 405, 405),
        "assignment",
        {"anonymous": 302, "other_manager": 404, "own_manager": 404, "admin": 404},
    ),
    # issue 15: the video's end marks the learner's own module done (POST only, 404 for others);
    # uploaded course files for a learner of the course and admins (404 for everyone else).
    "player_module_video_watched": Row(
        (302, 405, 405, 405, 405), "module", {"anonymous": 302, "other_manager": 404, "own_manager": 404, "admin": 404}
    ),
    "course_file": Row((302, 200, 404, 404, 200), "course_file"),
    "player_quiz_start": Row(
        (302, 405, 405, 405, 405), "quiz", {"anonymous": 302, "other_manager": 404, "own_manager": 404, "admin": 404}
    ),
    # A submitted attempt's page sends its learner on to the result.
    "player_attempt": Row((302, 302, 404, 404, 404), "attempt"),
    "player_result": Row(LEARNER_ONLY, "attempt"),
    # The SCORM player (issue 15): the learner's own package module; files for whoever may play
    # or preview the course (admins preview), 404 for anyone else; with a launch token (separate
    # content origin, no session there) the signed token is the credential.
    "scorm_player": Row(LEARNER_ONLY, "scorm_module"),
    "scorm_commit": Row(
        (302, 405, 405, 405, 405),
        "scorm_commit",
        {"anonymous": 302, "other_manager": 404, "own_manager": 404, "admin": 404},
    ),
    "scorm_content": Row((302, 200, 404, 404, 200), "scorm_file"),
    "scorm_content_token": Row(ANON_OK, "scorm_token_file"),
    "scorm_launch": Row(ANON_OK, "scorm_launch"),
    # An admin's preview of a SCORM module: the player, nothing recorded (issue 15).
    "scorm_preview": Row(ADMIN, "scorm_preview"),
    # Saving an answer as it is chosen: POST only, the learner's own attempt (404 for anyone else).
    "player_attempt_answer": Row(
        (302, 405, 405, 405, 405), "attempt", {"anonymous": 302, "other_manager": 404, "own_manager": 404, "admin": 404}
    ),
    # courses: authoring (admins)
    "authoring_course_list": Row(ADMIN),
    "authoring_course_create": Row(ADMIN),
    "authoring_course_import": Row(ADMIN),
    # SCORM import (courses.scorm): a package as a new course, or as a module of a Draft course.
    "scorm_import_course": Row(ADMIN),
    "scorm_import_module": Row(ADMIN, "draft_course_pk"),
    "authoring_course_detail": Row(ADMIN, "course"),
    "authoring_course_edit": Row(ADMIN, "course"),
    "authoring_course_publish": admin_post("course"),
    "authoring_course_unpublish": admin_post("course"),
    "authoring_course_new_version": admin_post("course"),
    "authoring_course_export": Row(ADMIN, "course"),
    # issue 15: the learner preview of a course, recording nothing.
    "authoring_course_preview": Row(ADMIN, "course"),
    "authoring_course_preview_module": Row(ADMIN, "preview_module"),
    "authoring_course_preview_resource": Row(ADMIN, "preview_resource"),
    "authoring_course_preview_quiz": Row(ADMIN, "preview_quiz"),
    "authoring_module_create": Row(ADMIN, "course_pk"),
    "authoring_module_edit": Row(ADMIN, "module_in_course"),
    "authoring_module_move": admin_post("module_move"),
    "authoring_module_delete": admin_post("module_in_course"),
    "authoring_resource_create": Row(ADMIN, "course_pk"),
    "authoring_resource_edit": Row(ADMIN, "resource_in_course"),
    "authoring_resource_delete": admin_post("resource_in_course"),
    "authoring_quiz_create": Row(ADMIN, "course_pk"),
    "authoring_quiz_edit": Row(ADMIN, "quiz_in_course"),
    "authoring_quiz_delete": admin_post("quiz_in_course"),
    "authoring_question_create": Row(ADMIN, "quiz_questions"),
    "authoring_question_edit": Row(ADMIN, "question"),
    "authoring_question_delete": admin_post("question"),
    # issue 16: a course's translations, one text's translation and the translators' files (admins).
    "authoring_course_translations": Row(ADMIN, "course"),
    "authoring_translations_export": Row(ADMIN, "course", query="language=fr&format=xliff"),
    "authoring_translations_import": Row(ADMIN, "course", REFUSE_ADMIN_POST),
    "authoring_translation_edit": Row(ADMIN, "translation_text", REFUSE_ADMIN_POST),
    "authoring_translation_delete": admin_post("translation_text"),
    # assignments (admins), and the learner's own history
    "assignments:list": Row(ADMIN),
    "assignments:assign": Row(ADMIN),
    "assignments:bulk": admin_post(),
    "assignments:archive": Row(ADMIN, "assignment_pk"),
    "assignments:reassign": Row(ADMIN, "assignment_pk"),
    "assignments:notify": admin_post("assignment_pk"),
    "assignments:notify_not_started": Row(ADMIN),
    "assignments:clean_slate": Row(ADMIN),
    # Old addresses of the person page's tabs (issue 13 item 13): sent on to the tab, same access.
    "assignments:learner": Row((302, 403, 403, 403, 302), "learner"),
    "assignments:my_history": Row(LOGGED_IN),
    "assignments:rules": Row(ADMIN),
    "assignments:rule_create": Row(ADMIN),
    "assignments:rule_edit": Row(ADMIN, "rule"),
    "assignments:rule_deactivate": admin_post("rule"),
    "assignments:exemptions": Row(ADMIN),
    "assignments:exemption_end": admin_post("exemption"),
    "assignments:exemption_revoke": admin_post("exemption"),
    "assignments:uploads": Row(ADMIN),
    "assignments:upload": Row(ADMIN, "upload"),
    "assignments:upload_status": Row(ADMIN, "upload"),
    "assignments:upload_confirm": admin_post("upload"),
    "assignments:upload_template": Row(ADMIN, "template"),
    # CPD (issue 17): the record and external learning are the learner's, their chain's and admins';
    # only the learner changes their returned entry; the chain and admins decide; admins set targets.
    "cpd:my_record": Row(LOGGED_IN),
    "cpd:entry_create": Row(LOGGED_IN),
    "cpd:entry": Row(OWN_AND_CHAIN, "cpd_entry"),
    "cpd:entry_edit": Row(LEARNER_ONLY, "cpd_entry"),
    "cpd:entry_evidence": Row(OWN_AND_CHAIN, "cpd_entry"),
    "cpd:entry_decide": Row(
        (302, 405, 405, 405, 405), "cpd_entry", {"anonymous": 302, "learner": 404, "other_manager": 404}
    ),
    "cpd:approvals": Row(MANAGERS),
    "cpd:targets": Row(ADMIN),
    "cpd:target_edit": Row(ADMIN, "cpd_target"),
    "cpd:target_delete": admin_post("cpd_target"),
    # reports: certificates (public verification), dashboards and exports
    "certificate_download": Row(OWN_AND_CHAIN, "completion"),
    "certificate_verify_lookup": Row(ANON_OK),
    "certificate_verify": Row(ANON_OK, "verification"),
    "reports_team_dashboard": Row((302, 404, 200, 200, 200)),
    "reports_team_export": Row((302, 404, 200, 200, 200), "csv"),
    # Retention figures (issue 17): the manager's own team; the organisation's for admins.
    "reports_team_retention_export": Row((302, 404, 200, 200, 200), "csv"),
    "reports_learner_record": Row((302, 302, 404, 302, 302), "learner"),
    "reports_organisation": Row(ADMIN),
    "reports_organisation_export": Row(ADMIN, "csv"),
    "reports_organisation_retention_export": Row(ADMIN, "csv"),
    "reports_forecast": Row(ADMIN),
    "reports_forecast_export": Row(ADMIN, "csv"),
    "reports_item_analysis": Row(ADMIN),
    "reports_item_analysis_export": Row(ADMIN, "csv", query="course=FIRE-1"),
    # Course reviews (issue 17): figures and approved comments for admins.
    "reports_course_reviews": Row(ADMIN),
    "reports_course_review_detail": Row(ADMIN, "course_code"),
    # The learner reviews their own completion (nobody else's exists for them); admins moderate.
    "course_reviews:review": Row(LEARNER_ONLY, "review_completion"),
    "course_reviews:moderation": Row(ADMIN),
    "course_reviews:moderate": admin_post("course_review"),
    "reports_cpd_transcript": Row(OWN_AND_CHAIN, "cpd_transcript"),
    "reports_cpd_behind": Row(ADMIN),
    "reports_cpd_behind_export": Row(ADMIN),
    # escalation
    "escalation:policies": Row(ADMIN),
    "escalation:policy_create": Row(ADMIN),
    "escalation:policy_edit": Row(ADMIN, "policy"),
    "escalation:preview": Row(ADMIN),
    "escalation:notifications": Row(LOGGED_IN),
    # The case file is for the chain and admins; the learner sees their warning letters.
    "escalation:case_file": Row((302, 404, 404, 200, 200), "case_file"),
    "escalation:case_file_pdf": Row((302, 404, 404, 200, 200), "case_file"),
    "escalation:warning_letter_pdf": Row(OWN_AND_CHAIN, "letter"),
    "escalation:review_sessions": Row(ADMIN),
    "escalation:review_session_create": Row(ADMIN),
    "escalation:review_session": Row(ADMIN, "session"),
    "escalation:review_session_edit": Row(ADMIN, "session"),
    "escalation:review_session_book": admin_post("session"),
    # Webhooks (escalation.webhooks): admins only; a delivery is found only under its endpoint.
    "escalation:webhooks": Row(ADMIN),
    "escalation:webhook_create": Row(ADMIN),
    "escalation:webhook": Row(ADMIN, "webhook"),
    "escalation:webhook_edit": Row(ADMIN, "webhook"),
    "escalation:webhook_rotate_secret": admin_post("webhook"),
    "escalation:webhook_delivery_retry": admin_post("webhook_delivery"),
    "escalation:review_attendance": admin_post("booking"),
    # Boosters (issue 17): the email's signed answer link opens for whoever holds it (no password:
    # the signature is the credential); the learner's own booster page (404 for anyone else);
    # admins author the programmes.
    "boosters:answer_link": Row(ANON_OK, "booster_link"),
    "boosters:question": Row(LEARNER_ONLY, "booster"),
    "boosters:manage_list": Row(ADMIN),
    "boosters:manage": Row(ADMIN, "course_pk"),
    "boosters:question_new": Row(ADMIN, "course_pk"),
    "boosters:question_retire": admin_post("booster_question"),
    # Recognition (escalation.recognition): the Open Badges documents and verification page are
    # public (a long random token, nothing private); admins define badges and revoke awards; a
    # well-done link opens for the manager it was made for only (404 for anyone else).
    "recognition:issuer": Row(ANON_OK),
    "recognition:badge_class": Row(ANON_OK, "badge_public"),
    "recognition:badge_image": Row(ANON_OK, "badge_public"),
    "recognition:assertion": Row(ANON_OK, "award_token"),
    "recognition:verify": Row(ANON_OK, "award_token"),
    "recognition:badges": Row(ADMIN),
    "recognition:badge_create": Row(ADMIN),
    "recognition:badge_edit": Row(ADMIN, "badge"),
    "recognition:award_revoke": admin_post("award"),
    "recognition:mine": Row(LOGGED_IN),
    "recognition:well_done": Row(
        (302, 404, 404, 200, 404), "well_done", post={"learner": 404, "other_manager": 404, "admin": 404}
    ),
    # SCIM 2.0 provisioning (lms.scim): bearer tokens only; lms/tests/test_scim.py covers the tokens.
    "scim_service_provider_config": Row(BEARER_ONLY),
    "scim_schemas": Row(BEARER_ONLY),
    "scim_schema": Row(BEARER_ONLY, "scim_schema"),
    "scim_resource_types": Row(BEARER_ONLY),
    "scim_resource_type": Row(BEARER_ONLY, "scim_resource_type"),
    "scim_users": Row(BEARER_ONLY),
    "scim_user": Row(BEARER_ONLY, "scim_user"),
    # The REST API (api app): its endpoints take API tokens only, so every session gets 401 (a
    # problem-details body, not the login page); api/tests cover them with tokens and scopes. The
    # OpenAPI schema and its documentation page are public (no records); admins make and revoke
    # tokens.
    "api:docs": Row(ANON_OK),
    "api:schema": Row(ANON_OK),
    "api:tokens": Row(ADMIN),
    "api:token_revoke": admin_post("api_token"),
    "api:people": Row(BEARER_ONLY),
    "api:person": Row(BEARER_ONLY, "learner"),
    "api:person_compliance": Row(BEARER_ONLY, "learner"),
    "api:courses": Row(BEARER_ONLY),
    "api:assignments": Row(BEARER_ONLY),
    "api:assignment": Row(BEARER_ONLY, "assignment_pk"),
    "api:assignment_archive": Row(BEARER_ONLY, "assignment_pk"),
    "api:assignment_reassign": Row(BEARER_ONLY, "assignment_pk"),
    "api:completions": Row(BEARER_ONLY),
    "api:organisation_report": Row(BEARER_ONLY),
    # Any other path under /api/v1/: a problem (401 without a token, 404 with one), not HTML.
    "api:not_found": Row(BEARER_ONLY),
}


def url_names() -> set[str]:
    """Every named URL pattern of the project (namespaced as ``ns:name``), without the Django
    admin and static files."""
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"URL {route!r} has no name: name it and add a row to TABLE"
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_url_has_a_row():
    names = url_names()
    assert names - TABLE.keys() == set(), "URLs without a row in TABLE (add the expected responses)"
    assert TABLE.keys() - names == set(), "rows in TABLE for URLs that no longer exist"


@pytest.fixture
def world(settings, tmp_path):
    """A small organisation: a learner in one team with training in every state a URL shows, and
    another team with its own manager."""
    department = DepartmentFactory(name="Operations")
    own_manager = UserFactory(first_name="Own", job_title="Team leader")
    other_manager = UserFactory(first_name="Other", job_title="Team leader")
    UserFactory(manager=other_manager)
    learner = UserFactory(manager=own_manager, department=department)
    admin = AdminFactory()

    course = make_course(questions=2, code="FIRE-1", description="Fire safety.")
    assignment = AssignmentFactory(learner=learner, course=course)
    final = course.quizzes.get(kind=Quiz.Kind.FINAL)
    attempt = attempt_start(assignment=assignment, quiz=final)
    completion = attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion
    module = course.modules.order_by("order").first()
    resource = course.resources.get()
    question = final.questions.first()
    course_review = course_review_submit(completion=completion, learner=learner, rating=4, useful="Clear modules.")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "storage")},
        },
    }
    scorm_package = scorm_package_import(file=build_package(mastery_score=80), code="SCORM-1")
    scorm_assignment = AssignmentFactory(learner=learner, course=scorm_package.course)
    scorm_item = scorm_package.items.get()
    # An uploaded video on the learner's module (issue 15: served by course_file).
    module.video.save("intro.mp4", ContentFile(b"\x00\x00\x00\x20ftypisom" + bytes(64)))
    scorm_token = launch_token(user=learner, package=scorm_package, parent_origin="http://testserver")

    late = AssignmentFactory(learner=learner, course=make_course(code="GDPR-1", questions=1))
    letter = WarningLetter.objects.create(
        assignment=late,
        step_days_overdue=14,
        reference="WL-TEST-1",
        issued_at=timezone.now(),
        deadline_missed=late.due_date,
        new_deadline=late.due_date + dt.timedelta(days=7),
        manager=own_manager,
    )
    session = ReviewSession.objects.create(
        title="Fire safety review",
        starts_at=timezone.now() + dt.timedelta(days=3),
        ends_at=timezone.now() + dt.timedelta(days=3, hours=1),
        link="https://meet.example.com/fire",
    )
    booking = ReviewBooking.objects.create(session=session, assignment=late)
    webhook = WebhookEndpoint.objects.create(
        name="HR warehouse", url="https://93.184.215.14/lms", secret_encrypted=seal("whsec_test"), created_by=admin
    )
    webhook.subscriptions.create(event="completion.recorded")
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook,
        event_id="evt_test",
        event="completion.recorded",
        payload={"id": "evt_test"},
        status=WebhookDelivery.Status.FAILED,
        attempts=8,
        response_code=503,
        last_error="HTTP 503 Service Unavailable",
        next_attempt_at=timezone.now(),
    )
    rule = AssignmentRule.objects.create(
        name="Operations fire safety", course=course, department=department, starts_on=dt.date(2026, 1, 1)
    )
    exemption = ExemptionFactory(learner=learner, approved_by=admin)
    upload = ImportJob.objects.create(
        kind=ImportJob.Kind.USERS, filename="people.csv", content=b"email\n", created_by=admin
    )
    policy = EscalationPolicy.objects.get(course_code="")
    settings.MEDIA_ROOT = tmp_path  # the CPD evidence file below
    cpd_entry = ExternalLearning.objects.create(
        learner=learner,
        title="First aid refresher",
        provider="Red Cross",
        completed_on=dt.date(2026, 1, 10),
        points=2,
        evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="certificate.pdf"),
        evidence_name="certificate.pdf",
        evidence_type="application/pdf",
        status=ExternalLearning.Status.RETURNED,
        submitted_at=timezone.now(),
        decided_at=timezone.now(),
        decided_by=own_manager,
        decision_comment="Add the date.",
    )
    cpd_target = CpdTarget.objects.create(job_title="Team leader", points=10)
    booster_programme = make_programme(course, schedule=[2], from_quiz=1, written=0)
    booster = queued_delivery(booster_programme, completion)
    api_token = ApiToken.objects.create(
        name="BI tool", key_digest="0" * 64, key_prefix="lms_0000", scopes=["people:read"]
    )

    fire_badge = Badge.objects.create(
        name="Fire safety", description="Passed fire safety.", criteria="course_passed", course_code=course.code
    )
    [award] = awards_grant(earned=rules.course_passed(fire_badge))
    well_done = well_done_token(manager_id=own_manager.pk, completion_id=completion.pk)

    kwargs = {
        "": {},
        "reset": {"uidb64": "MQ", "token": "not-a-valid-token"},
        "learner": {"pk": learner.pk},
        "department": {"pk": department.pk},
        "assignment": {"assignment_pk": assignment.pk},
        "assignment_pk": {"pk": assignment.pk},
        "module": {"assignment_pk": assignment.pk, "module_pk": module.pk},
        "resource": {"assignment_pk": assignment.pk, "resource_pk": resource.pk},
        "course_file": {"owner": "module", "pk": module.pk, "part": "video"},
        "preview_module": {"pk": course.pk, "module_pk": module.pk},
        "preview_resource": {"pk": course.pk, "resource_pk": resource.pk},
        "preview_quiz": {"pk": course.pk, "quiz_pk": final.pk},
        "quiz": {"assignment_pk": assignment.pk, "quiz_pk": final.pk},
        "attempt": {"attempt_pk": attempt.pk},
        "scorm_module": {"assignment_pk": scorm_assignment.pk, "module_pk": scorm_package.module_id},
        "draft_course_pk": {"course_pk": scorm_package.course_id},
        "scorm_commit": {"assignment_pk": scorm_assignment.pk, "item_pk": scorm_item.pk},
        "scorm_file": {"package_uuid": package_uuid(scorm_package), "path": "index.html"},
        "scorm_token_file": {"token": scorm_token, "path": "index.html"},
        "scorm_launch": {"token": scorm_token, "item_pk": scorm_item.pk},
        "scorm_preview": {"course_pk": scorm_package.course_id, "module_pk": scorm_package.module_id},
        "course": {"pk": course.pk},
        "course_pk": {"course_pk": course.pk},
        "module_in_course": {"course_pk": course.pk, "pk": module.pk},
        "module_move": {"course_pk": course.pk, "pk": module.pk, "direction": "down"},
        "resource_in_course": {"course_pk": course.pk, "pk": resource.pk},
        "quiz_in_course": {"course_pk": course.pk, "pk": final.pk},
        "quiz_questions": {"course_pk": course.pk, "quiz_pk": final.pk},
        "question": {"course_pk": course.pk, "quiz_pk": final.pk, "pk": question.pk},
        "translation_text": {
            "pk": course.pk,
            "language": "fr",
            "kind": "module",
            "object_id": module.pk,
            "field": "title",
        },
        "rule": {"pk": rule.pk},
        "exemption": {"pk": exemption.pk},
        "upload": {"pk": upload.pk},
        "template": {"kind": "users"},
        "completion": {"pk": completion.pk},
        "verification": {"code": completion.verification_code},
        "csv": {"fmt": "csv"},
        "policy": {"pk": policy.pk},
        "case_file": {"assignment_pk": late.pk},
        "letter": {"reference": letter.reference},
        "session": {"pk": session.pk},
        "booking": {"pk": session.pk, "booking_pk": booking.pk},
        "webhook": {"pk": webhook.pk},
        "webhook_delivery": {"pk": webhook.pk, "delivery_pk": webhook_delivery.pk},
        "scim_schema": {"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"},
        "scim_resource_type": {"name": "User"},
        "scim_user": {"pk": learner.pk},
        "api_token": {"pk": api_token.pk},
        "course_code": {"code": course.code},
        "review_completion": {"completion_pk": completion.pk},
        "course_review": {"pk": course_review.pk},
        "booster": {"pk": booster.pk},
        "booster_link": {"token": answer_token(delivery_id=booster.pk, choice_id=booster.question.choices.first().pk)},
        "booster_question": {"pk": booster.question_id},
        "badge": {"pk": fire_badge.pk},
        "badge_public": {"public_id": fire_badge.public_id},
        "award": {"pk": fire_badge.pk, "award_pk": award.pk},
        "award_token": {"token": award.token},
        "well_done": {"token": well_done},
        "cpd_entry": {"pk": cpd_entry.pk},
        "cpd_target": {"pk": cpd_target.pk},
        "cpd_transcript": {"pk": learner.pk, "year": 2026},
    }
    users = {
        "anonymous": None,
        "learner": learner,
        "other_manager": other_manager,
        "own_manager": own_manager,
        "admin": admin,
    }
    return users, kwargs


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_every_url_answers_each_role_as_the_table_says(world):
    users, kwargs = world
    clients = {role: _client_for(user) for role, user in users.items()}
    names = url_names()
    wrong = []
    for name in sorted(names & TABLE.keys()):
        row = TABLE[name]
        url = reverse(name, kwargs=kwargs[row.kwargs]) + (f"?{row.query}" if row.query else "")
        for role, expected in zip(ROLES, row.get, strict=True):
            response = clients[role].get(url)
            if response.status_code != expected:
                wrong.append(f"GET {url} as {role}: {response.status_code}, expected {expected}")
            elif expected == 302 and role == "anonymous" and name not in {"logout"}:
                if not response.url.startswith(reverse("login")):
                    wrong.append(f"GET {url} as anonymous redirects to {response.url}, not to the login page")
    assert wrong == [], "\n".join(wrong)


def test_post_only_urls_refuse_a_post_from_every_wrong_role(world):
    users, kwargs = world
    wrong = []
    checked = 0
    for name, row in sorted(TABLE.items()):
        if not row.post:
            continue
        url = reverse(name, kwargs=kwargs[row.kwargs])
        for role, expected in row.post.items():
            response = _client_for(users[role]).post(url, {})
            checked += 1
            if response.status_code != expected:
                wrong.append(f"POST {url} as {role}: {response.status_code}, expected {expected}")
    assert checked > 40
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(
    "name,kwargs_key",
    [
        ("logout", ""),
        ("person_deactivate", "learner"),
        ("assignments:bulk", ""),
        ("assignments:exemption_revoke", "exemption"),
        ("authoring_course_unpublish", "course"),
        ("player_quiz_start", "quiz"),
        ("player_attempt_answer", "attempt"),
        ("scorm_commit", "scorm_commit"),
        ("escalation:review_attendance", "booking"),
        ("escalation:review_session_book", "session"),
        ("escalation:webhook_rotate_secret", "webhook"),
        ("recognition:award_revoke", "award"),
    ],
)
def test_posts_without_a_csrf_token_are_refused(world, name, kwargs_key):
    users, kwargs = world
    user = users["learner"] if name.startswith("player_") else users["admin"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse(name, kwargs=kwargs[kwargs_key]), {})
    assert response.status_code == 403
    # refused by the CSRF check (lms.errors.csrf_failure: the site's page, or JSON for a JSON view)
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["saved"] is False
    else:
        assert b'data-testid="csrf-failure"' in response.content


def test_a_login_post_without_a_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x@example.com", "password": "y"})
    assert response.status_code == 403


def test_a_post_with_the_csrf_token_goes_through(world):
    users, kwargs = world
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    client.get(reverse("assignments:exemptions"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("assignments:exemption_revoke", kwargs=kwargs["exemption"]), {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
