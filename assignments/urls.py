from __future__ import annotations

from django.urls import path

from assignments.views import lifecycle as views

app_name = "assignments"

urlpatterns = [
    path("", views.assignment_list, name="list"),
    path("assign/", views.assign_course, name="assign"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("<int:pk>/archive/", views.assignment_archive, name="archive"),
    path("<int:pk>/reassign/", views.assignment_reassign, name="reassign"),
    path("<int:pk>/notify/", views.assignment_notify, name="notify"),
    path("notify-not-started/", views.notify_not_started, name="notify_not_started"),
    path("clean-slate/", views.clean_slate, name="clean_slate"),
    path("people/<int:pk>/", views.learner_detail, name="learner"),
    path("history/", views.my_history, name="my_history"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/stop/", views.rule_deactivate, name="rule_deactivate"),
    path("exemptions/", views.exemption_list, name="exemptions"),
    path("exemptions/<int:pk>/end/", views.exemption_end, name="exemption_end"),
    path("exemptions/<int:pk>/revoke/", views.exemption_revoke, name="exemption_revoke"),
    path("uploads/", views.upload_list, name="uploads"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload"),
    path("uploads/<int:pk>/status/", views.upload_status, name="upload_status"),
    path("uploads/<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
    path("uploads/template/<str:kind>.csv", views.upload_template, name="upload_template"),
]
