from __future__ import annotations

from django.urls import path

from assignments.boosters import views

app_name = "boosters"

urlpatterns = [
    # The email's answer links: signed, no password (views.answer_link says why GET records nothing).
    path("a/<str:token>/", views.answer_link, name="answer_link"),
    path("<int:pk>/", views.question, name="question"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/<int:course_pk>/", views.manage, name="manage"),
    path("manage/<int:course_pk>/questions/new/", views.question_new, name="question_new"),
    path("manage/questions/<int:pk>/retire/", views.question_retire_view, name="question_retire"),
]
