from __future__ import annotations

from django.urls import path

from escalation import views
from escalation.webhooks import views as webhook_views

app_name = "escalation"

urlpatterns = [
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("preview/", views.preview, name="preview"),
    path("notifications/", views.notifications, name="notifications"),
    path("case-file/<int:assignment_pk>/", views.case_file, name="case_file"),
    path("case-file/<int:assignment_pk>/pdf/", views.case_file_pdf, name="case_file_pdf"),
    path("letters/<str:reference>.pdf", views.warning_letter_pdf, name="warning_letter_pdf"),
    path("review-sessions/", views.review_sessions, name="review_sessions"),
    path("review-sessions/new/", views.review_session_edit, name="review_session_create"),
    path("review-sessions/<int:pk>/", views.review_session, name="review_session"),
    path("review-sessions/<int:pk>/edit/", views.review_session_edit, name="review_session_edit"),
    path("review-sessions/<int:pk>/book/", views.review_session_book, name="review_session_book"),
    path(
        "review-sessions/<int:pk>/bookings/<int:booking_pk>/attendance/",
        views.review_attendance,
        name="review_attendance",
    ),
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/new/", webhook_views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", webhook_views.webhook, name="webhook"),
    path("webhooks/<int:pk>/edit/", webhook_views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/secret/", webhook_views.webhook_rotate_secret, name="webhook_rotate_secret"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/retry/",
        webhook_views.webhook_delivery_retry,
        name="webhook_delivery_retry",
    ),
]
