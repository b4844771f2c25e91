"""Where badges are shown: the learner's home page (a section), the person page (a tab, for the
person themselves, their managers and admins) and the audit trail's links to the badge editor."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lms import home, person_page


def badges_context(person) -> dict:
    from escalation.recognition.models import WellDone
    from escalation.recognition.selectors import awards_of

    return {
        "awards": list(awards_of(person)),
        "notes": list(WellDone.objects.filter(learner=person).select_related("sender")[:20]),
    }


def badges_section(request):
    context = badges_context(request.user)
    if not context["awards"] and not context["notes"]:
        return None
    return {"title": _("My recognition"), "template": "recognition/home_section.html", "context": context}


def recognition_tab(request, person) -> dict:
    return {"template": "recognition/person_tab.html", "context": badges_context(person)}


def register() -> None:
    home.register(order=50, role="learner")(badges_section)
    person_page.register(key="recognition", label=_("Recognition"), order=45)(recognition_tab)
    from lms.audit_display import register_link

    register_link("recognition.badge", "recognition:badge_edit")
    from lms import team_panels

    team_panels.register(key="recognition", order=10)(team_panel)


def team_panel(request, team) -> dict | None:
    """Beside compliance on the team dashboard: the last two weeks' achievements of the viewer's
    direct reports, each with a "Say well done" button (or that it was said)."""
    from django.utils import timezone

    from escalation.recognition.selectors import team_achievements

    items = team_achievements(request.user, until=timezone.now())
    if team.department_ids:
        allowed = set(team.people().values_list("pk", flat=True))
        items = [item for item in items if item["learner_id"] in allowed]
    return {
        "title": _("Recognition: recent achievements"),
        "template": "recognition/team_panel.html",
        "context": {"items": items},
    }
