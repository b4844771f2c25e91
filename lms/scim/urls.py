from __future__ import annotations

from django.urls import path

from lms.scim import views

urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config, name="scim_service_provider_config"),
    path("Schemas", views.schemas, name="scim_schemas"),
    path("Schemas/<str:schema_id>", views.schemas, name="scim_schema"),
    path("ResourceTypes", views.resource_types, name="scim_resource_types"),
    path("ResourceTypes/<str:name>", views.resource_types, name="scim_resource_type"),
    path("Users", views.users, name="scim_users"),
    path("Users/<str:pk>", views.user, name="scim_user"),
]
