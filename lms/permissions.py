"""Role checks for views. Role-forbidden pages answer 403; objects outside a user's scope 404."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Managers (anyone with reports) and admins."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_manager or request.user.is_admin):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
