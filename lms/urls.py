from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from lms import accounts, sso, views
from lms.forms import EmailAuthenticationForm

auth_patterns = [
    path(
        "login/",
        accounts.LoginView.as_view(authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invitation/<uidb64>/<token>/", accounts.invitation_accept_view, name="invitation_accept"),
    path("sso/reauthenticate/", sso.reauthenticate, name="sso_reauthenticate"),
]

# Single sign-on (lms.sso): each answers 404 while its protocol is not configured.
sso_patterns = [
    path("oidc/authenticate/", sso.SsoOIDCAuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso.SsoOIDCCallbackView.as_view(), name="oidc_authentication_callback"),
    path("saml2/login/", sso.saml_login_view, name="saml2_login"),
    path("saml2/acs/", sso.SsoSamlAcsView.as_view(), name="saml2_acs"),
    path("saml2/metadata/", sso.saml_metadata_view, name="saml2_metadata"),
]

urlpatterns = [
    path("", views.home, name="home"),
    # The language switcher (issue 16): Django's set_language, and the signed-in person's language.
    path("language/", views.language_set, name="set_language"),
    path("accounts/", include(auth_patterns)),
    *sso_patterns,
    path("team/", views.team, name="team"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/search/", views.people_search, name="people_search"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/invite/", views.person_invite, name="person_invite"),
    path("people/invite/", views.people_invite, name="people_invite"),
    path("departments/", views.departments, name="departments"),
    path("departments/new/", views.department_edit, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export_csv, name="audit_export_csv"),
    path("audit/export.pdf", views.audit_export_pdf, name="audit_export_pdf"),
    # The learner plays an assigned course (assignments app); admins author courses (courses app).
    path("courses/learn/", include("assignments.urls_player")),
    path("courses/learn/", include("assignments.scorm_runtime.urls")),
    path("courses/", include("courses.urls")),
    path("assignments/", include("assignments.urls")),
    path("cpd/", include("assignments.cpd.urls")),  # CPD records and external learning (issue 17)
    # Booster questions after a completion: answer links, the learner's page, authoring (issue 17).
    path("boosters/", include("assignments.boosters.urls")),
    path("reports/", include("reports.urls")),
    # Learners review completed courses; admins moderate the comments (issue 17).
    path("course-reviews/", include("assignments.course_reviews.urls")),
    path("reports/course-reviews/", include("reports.course_reviews")),
    path("escalation/", include("escalation.urls")),
    # Badges (Open Badges 2.0 public pages, admin) and managers' "well done" (issue 17).
    path("recognition/", include("escalation.recognition.urls")),
    # SCIM 2.0 provisioning for HR systems and identity providers (bearer tokens, no session).
    path("scim/v2/", include("lms.scim.urls")),
    # SCORM package files and the content origin's launch page (assignments.scorm_runtime.content).
    path("", include("assignments.scorm_runtime.urls_content")),
    # The REST API (/api/v1/), its schema and documentation, and the admins' token page (api app).
    path("api/", include("api.urls")),
    # One place checks old passwords (through the lockout): the admin's own form is not used.
    path("django-admin/password_change/", RedirectView.as_view(pattern_name="password_change")),
    path("django-admin/", admin.site.urls),
]

# A body Django refuses before any view runs (too many fields) is answered in JSON where the view
# answers JSON (lms.errors).
handler400 = "lms.errors.bad_request"

if settings.TEST_IDENTITY_PROVIDERS:
    # The test suite's OpenID Connect provider and SAML identity provider (lms.tests.identity_providers).
    urlpatterns.append(path("test-op/", include("lms.tests.identity_providers")))
