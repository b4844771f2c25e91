from __future__ import annotations

from django.urls import path

from reports import views

urlpatterns = [
    path("certificates/<int:pk>/pdf/", views.certificate_download, name="certificate_download"),
    path("verify/", views.certificate_verify_lookup, name="certificate_verify_lookup"),
    path("verify/<str:code>/", views.certificate_verify_page, name="certificate_verify"),
]
