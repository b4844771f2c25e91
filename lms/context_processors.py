from __future__ import annotations

from django.conf import settings

from lms.navigation import items_for


def navigation(request):
    user = getattr(request, "user", None)
    nav = items_for(user) if user is not None else []
    path = request.path
    for item in nav:
        item["active"] = path == item["url"] or (item["url"] != "/" and path.startswith(item["url"]))
    return {"nav_items": nav, "organisation_name": settings.ORGANISATION_NAME}
