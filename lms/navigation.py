"""The navigation each role sees. Other apps add their entries here, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    role: str  # "learner", "manager" or "admin"
    # A line under the label in a menu, where two items could be taken for one another.
    description: str = ""


NAV_ITEMS: list[NavItem] = [
    NavItem(_("My training"), "home", "learner"),
    NavItem(_("Training history"), "assignments:my_history", "learner"),
    NavItem(_("My CPD"), "cpd:my_record", "learner"),
    NavItem(_("Notifications"), "escalation:notifications", "learner"),
    # Manager items are shown together in a "Team" menu, each saying what it is for.
    NavItem(_("My team"), "team", "manager", _("Who reports to you, and how to reach them")),
    NavItem(
        _("Team dashboard"),
        "reports_team_dashboard",
        "manager",
        _("Compliance of everyone below you: overdue and failed lists, exports"),
    ),
    NavItem(_("CPD approvals"), "cpd:approvals", "manager", _("External learning waiting for your approval")),
    # Admin items are shown together in an "Admin" menu.
    NavItem(_("Assign training"), "assignments:assign", "admin"),
    NavItem(_("Assignments"), "assignments:list", "admin"),
    NavItem(_("Uploads"), "assignments:uploads", "admin"),
    NavItem(_("Courses"), "authoring_course_list", "admin"),
    NavItem(_("Booster programmes"), "boosters:manage_list", "admin", _("Short questions in the weeks after a course")),
    NavItem(_("Badges"), "recognition:badges", "admin", _("Recognition awarded automatically, as Open Badges")),
    NavItem(_("People"), "people", "admin"),
    NavItem(_("Departments"), "departments", "admin"),
    NavItem(_("Escalation policies"), "escalation:policies", "admin"),
    NavItem(_("Review sessions"), "escalation:review_sessions", "admin"),
    NavItem(_("Webhooks"), "escalation:webhooks", "admin", _("Other systems told of completions and escalations")),
    NavItem(_("Compliance report"), "reports_organisation", "admin"),
    NavItem(_("Lapse forecast"), "reports_forecast", "admin"),
    NavItem(_("Item analysis"), "reports_item_analysis", "admin"),
    NavItem(
        _("Course reviews"),
        "reports_course_reviews",
        "admin",
        _("Learners' ratings and comments, and their moderation"),
    ),
    NavItem(_("CPD targets"), "cpd:targets", "admin", _("Yearly CPD points per job title")),
    NavItem(_("Behind on CPD"), "reports_cpd_behind", "admin", _("People below their job title's CPD target")),
    NavItem(_("Audit trail"), "audit", "admin"),
    NavItem(_("API tokens"), "api:tokens", "admin", _("Integrations that read records or assign training")),
]


# A count shown beside a navigation item (unread notifications), by URL name: a function
# (user) -> (count, text for screen readers), registered by the app that owns the page (lms sits
# below it). One query per page shown, so only where the count is worth it.
Badge = Callable[[object], tuple[int, str]]
BADGES: dict[str, Badge] = {}


def register_badge(url_name: str, badge: Badge) -> None:
    BADGES[url_name] = badge


def items_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = {"learner"}
    if user.is_manager:
        roles.add("manager")
    if user.is_admin:
        roles.update({"admin", "manager"})
    items = []
    for item in NAV_ITEMS:
        if item.role not in roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entry = {
            "label": item.label,
            "url": url,
            "role": item.role,
            "description": item.description,
            "badge": 0,
            "badge_text": "",
        }
        if item.url_name in BADGES:
            entry["badge"], entry["badge_text"] = BADGES[item.url_name](user)
        items.append(entry)
    return items
