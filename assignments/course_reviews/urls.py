"""Course reviews, mounted at /course-reviews/ (lms/urls.py)."""

from __future__ import annotations

from django.urls import path

from assignments.course_reviews import views

app_name = "course_reviews"

urlpatterns = [
    path("completions/<int:completion_pk>/", views.review_edit, name="review"),
    path("moderation/", views.moderation, name="moderation"),
    path("<int:pk>/moderate/", views.moderate, name="moderate"),
]
