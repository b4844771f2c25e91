"""The person page: one page per person (``/people/<pk>/``), in tabs that each app contributes.

lms draws the page, its profile tab and the tab bar; the apps above add the tabs they own in
their ``AppConfig.ready``::

    person_page.register(key="training", label=_("Manage training"), order=20, admin_only=True)(func)

A tab's function takes the request and the person (already fetched for the viewer: themselves,
their chain for a manager, anyone for an admin; 404 otherwise) and returns
``{"template": ..., "context": {...}}``. Only the open tab's function runs, so a tab costs its
queries only when it is shown. Old addresses of the pages these tabs replace redirect here with
``?tab=<key>`` (``tab_url``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

PROFILE = "profile"


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    order: int
    admin_only: bool
    func: Callable


_TABS: dict[str, Tab] = {}


def register(*, key: str, label, order: int, admin_only: bool = False):
    def decorator(func):
        _TABS[key] = Tab(key=key, label=label, order=order, admin_only=admin_only, func=func)
        return func

    return decorator


def tabs_for(viewer) -> list[dict]:
    """The tabs ``viewer`` sees on a person page they may open, in order, profile first."""
    tabs = [{"key": PROFILE, "label": _("Profile")}]
    for tab in sorted(_TABS.values(), key=lambda t: t.order):
        if tab.admin_only and not viewer.is_admin:
            continue
        tabs.append({"key": tab.key, "label": tab.label})
    return tabs


def tab_section(request, person, key: str) -> dict | None:
    """The open tab's template and context; None for the profile (drawn by lms itself)."""
    tab = _TABS.get(key)
    if tab is None or (tab.admin_only and not request.user.is_admin):
        return None
    return tab.func(request, person)


def tab_url(pk: int, key: str = PROFILE, query: dict | None = None) -> str:
    """The person page at tab ``key`` (with ``query`` kept, e.g. ``as_of``)."""
    params = {} if key == PROFILE else {"tab": key}
    params.update(query or {})
    url = reverse("person_detail", args=[pk])
    return f"{url}?{urlencode(params, doseq=True)}" if params else url
