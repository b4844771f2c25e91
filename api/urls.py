from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import pages, views

app_name = "api"

urlpatterns = [
    # For people: the documentation page and the admins' token pages.
    path("docs/", pages.docs, name="docs"),
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke, name="token_revoke"),
    # For machines: the OpenAPI schema and the endpoints (bearer tokens only).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/people/", views.PeopleView.as_view(), name="people"),
    path("v1/people/<int:pk>/", views.PersonView.as_view(), name="person"),
    path("v1/people/<int:pk>/compliance/", views.PersonComplianceView.as_view(), name="person_compliance"),
    path("v1/courses/", views.CoursesView.as_view(), name="courses"),
    path("v1/assignments/", views.AssignmentsView.as_view(), name="assignments"),
    path("v1/assignments/<int:pk>/", views.AssignmentView.as_view(), name="assignment"),
    path("v1/assignments/<int:pk>/archive/", views.AssignmentArchiveView.as_view(), name="assignment_archive"),
    path("v1/assignments/<int:pk>/reassign/", views.AssignmentReassignView.as_view(), name="assignment_reassign"),
    path("v1/completions/", views.CompletionsView.as_view(), name="completions"),
    path("v1/reports/organisation/", views.OrganisationReportView.as_view(), name="organisation_report"),
    # Last: any other path under v1/ (ending in a slash: without one, Django first adds it) is a
    # 401 or 404 problem, as the endpoints' own are.
    re_path(r"^v1/(?:.*/)?$", views.NoEndpointView.as_view(), name="not_found"),
]
