"""The team dashboard's panels: what the apps show about a manager's team beside its compliance.

reports draws the team dashboard (``/reports/team/``: compliance by course, who is late); the
apps above lms add a panel each in their ``AppConfig.ready``, so the page never imports them::

    team_panels.register(key="retention", order=20)(retention_panel)  # reports.retention (issue 17)
    team_panels.register(key="recognition", order=10)(badges_panel)  # the place for badges (issue 17)

A panel function takes the request and the ``Team`` the dashboard shows (the viewer's direct
reports or their whole chain, narrowed by the page's course and department filters) and returns
``{"title": ..., "template": ..., "context": {...}}``, or None when it has nothing to show. The
page draws each panel under its title in a section of its own (``data-testid="panel-<key>"``) and
includes its template with the context as ``ctx``, as the home page does with its sections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from lms.models import User


@dataclass(frozen=True)
class Team:
    """Whose figures a panel shows: the people below ``manager_id`` (direct reports, or everyone
    in the chain with ``whole_chain``), in ``department_ids`` when given; ``course_code`` narrows
    the figures to one course when the page is filtered to one."""

    manager_id: int
    whole_chain: bool = False
    course_code: str = ""
    department_ids: tuple[int, ...] = ()

    def people(self) -> QuerySet[User]:
        """The team's active people (leavers are not on the dashboard either)."""
        from lms.selectors import user_ids_below_sql

        if self.whole_chain:
            qs = User.objects.filter(pk__in=user_ids_below_sql(self.manager_id))
        else:
            qs = User.objects.filter(manager_id=self.manager_id)
        if self.department_ids:
            qs = qs.filter(department_id__in=self.department_ids)
        return qs.filter(is_active=True)


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    func: Callable


_PANELS: dict[str, Panel] = {}


def register(*, key: str, order: int):
    """Register a panel under ``key``; registering a key again replaces it (apps may be readied
    more than once in tests)."""

    def decorator(func):
        _PANELS[key] = Panel(key=key, order=order, func=func)
        return func

    return decorator


def panels_for(request, team: Team) -> list[dict]:
    """The panels to draw for ``team``, in order, each with its ``key``."""
    drawn = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        section = panel.func(request, team)
        if section:
            drawn.append({"key": panel.key, **section})
    return drawn
