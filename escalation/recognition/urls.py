from __future__ import annotations

from django.urls import path

from escalation.recognition import views

app_name = "recognition"

urlpatterns = [
    # Public (Open Badges 2.0 hosted verification).
    path("openbadges/issuer.json", views.issuer, name="issuer"),
    path("openbadges/badges/<str:public_id>.json", views.badge_class, name="badge_class"),
    path("openbadges/badges/<str:public_id>.png", views.badge_image, name="badge_image"),
    path("openbadges/assertions/<str:token>.json", views.assertion, name="assertion"),
    path("badges/verify/<str:token>/", views.verify, name="verify"),
    # Admins.
    path("badges/", views.badges, name="badges"),
    path("badges/new/", views.badge_edit, name="badge_create"),
    path("badges/<int:pk>/", views.badge_edit, name="badge_edit"),
    path("badges/<int:pk>/awards/<int:award_pk>/revoke/", views.award_revoke_view, name="award_revoke"),
    # Everyone: their own badges and notes.
    path("mine/", views.mine, name="mine"),
    # Managers.
    path("well-done/<str:token>/", views.well_done, name="well_done"),
]
