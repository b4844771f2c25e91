from __future__ import annotations

from django.urls import path

from assignments.cpd import views

app_name = "cpd"

urlpatterns = [
    path("", views.my_record, name="my_record"),
    path("external/new/", views.entry_create, name="entry_create"),
    path("external/<int:pk>/", views.entry_detail, name="entry"),
    path("external/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("external/<int:pk>/decide/", views.entry_decide, name="entry_decide"),
    path("external/<int:pk>/evidence/", views.entry_evidence, name="entry_evidence"),
    path("approvals/", views.approvals, name="approvals"),
    path("targets/", views.targets, name="targets"),
    path("targets/<int:pk>/", views.targets, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
]
