"""The home page is built from sections that each app contributes for the roles it serves.

An app registers a provider in its ``AppConfig.ready``::

    home.register(order=10, role="learner")(my_training_section)

A provider takes the request and returns ``{"title", "template", "context"}`` or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Provider:
    order: int
    role: str
    func: Callable


_PROVIDERS: dict[str, Provider] = {}


def register(*, order: int, role: str):
    def decorator(func):
        _PROVIDERS[f"{func.__module__}.{func.__qualname__}"] = Provider(order=order, role=role, func=func)
        return func

    return decorator


def _roles(user) -> set[str]:
    roles = {"learner"}
    if user.is_manager:
        roles.add("manager")
    if user.is_admin:
        roles.add("admin")
    return roles


def home_sections(request) -> list[dict]:
    roles = _roles(request.user)
    sections = []
    # Admin sections first for admins, then the team, then the person's own training.
    rank = {"admin": 0, "manager": 1, "learner": 2}
    for provider in sorted(_PROVIDERS.values(), key=lambda p: (rank[p.role], p.order)):
        if provider.role not in roles:
            continue
        section = provider.func(request)
        if section:
            section.setdefault("role", provider.role)
            sections.append(section)
    return sections


@register(order=100, role="learner")
def profile_section(request):
    from lms.selectors import managers_above

    return {
        "title": _("About you"),
        "template": "lms/sections/profile.html",
        "context": {"chain": managers_above(request.user)},
    }


@register(order=0, role="manager")
def team_section(request):
    from lms.selectors import team_size

    counts = team_size(request.user)
    return {"title": _("My team"), "template": "lms/sections/team.html", "context": {"counts": counts}}


@register(order=0, role="admin")
def admin_section(request):
    from lms.models import Department, User

    counts = User.objects.aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        admins=Count("pk", filter=Q(is_active=True, is_staff=True)),
        inactive=Count("pk", filter=Q(is_active=False)),
    )
    counts["departments"] = Department.objects.count()
    return {"title": _("Administration"), "template": "lms/sections/admin.html", "context": {"counts": counts}}
