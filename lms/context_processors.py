from __future__ import annotations

from django.conf import settings

from lms.navigation import items_for


def navigation(request):
    user = getattr(request, "user", None)
    nav = items_for(user) if user is not None else []
    path = request.path
    # The page's own item, or the item whose address is the longest start of it (a page below it):
    # one item at most, so "My CPD" (/cpd/) is not marked on "CPD approvals" (/cpd/approvals/).
    matches = [
        item["url"] for item in nav if path == item["url"] or (item["url"] != "/" and path.startswith(item["url"]))
    ]
    current = max(matches, key=len, default=None)
    for item in nav:
        item["active"] = item["url"] == current
    return {"nav_items": nav, "organisation_name": settings.ORGANISATION_NAME}
