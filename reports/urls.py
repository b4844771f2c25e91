from __future__ import annotations

from django.urls import path

from reports import cpd, views

urlpatterns = [
    path("certificates/<int:pk>/pdf/", views.certificate_download, name="certificate_download"),
    path("verify/", views.certificate_verify_lookup, name="certificate_verify_lookup"),
    path("verify/<str:code>/", views.certificate_verify_page, name="certificate_verify"),
    path("team/", views.team_dashboard, name="reports_team_dashboard"),
    path("team/export.<str:fmt>", views.team_export, name="reports_team_export"),
    path("team/retention/export.<str:fmt>", views.team_retention_export, name="reports_team_retention_export"),
    path("people/<int:pk>/", views.learner_record, name="reports_learner_record"),
    path("organisation/", views.organisation_report, name="reports_organisation"),
    path("organisation/export.<str:fmt>", views.organisation_export, name="reports_organisation_export"),
    path(
        "organisation/retention/export.<str:fmt>",
        views.organisation_retention_export,
        name="reports_organisation_retention_export",
    ),
    path("forecast/", views.forecast, name="reports_forecast"),
    path("forecast/export.<str:fmt>", views.forecast_export, name="reports_forecast_export"),
    path("item-analysis/", views.item_analysis, name="reports_item_analysis"),
    path("item-analysis/export.<str:fmt>", views.item_analysis_export, name="reports_item_analysis_export"),
    # CPD (issue 17): a person's transcript of a CPD year; who is behind their job title's target.
    path("people/<int:pk>/cpd/<int:year>/transcript.pdf", cpd.cpd_transcript, name="reports_cpd_transcript"),
    path("cpd/behind/", cpd.cpd_behind, name="reports_cpd_behind"),
    path("cpd/behind/export.csv", cpd.cpd_behind_export, name="reports_cpd_behind_export"),
]
