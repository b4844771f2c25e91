from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import timezone, translation


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone (stored in UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """Pages in the signed-in person's own language (``User.locale``), as their emails are
    (escalation.dispatch), so their dates read in one format (lms/formats) whatever language the
    browser asks for. Visitors who are not signed in get the browser's (LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        user = getattr(request, "user", None)
        code = getattr(user, "locale", "") if user is not None and user.is_authenticated else ""
        if code in self.languages:
            translation.activate(code)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class RefuseNulInQueryMiddleware:
    """A query string holding a NUL character is a bad request (400), whatever page reads it.

    No text a person types holds NUL, and PostgreSQL refuses it in any text comparison: a search
    box or filter that passed it on would answer 500. Form fields refuse it themselves (Django's
    ProhibitNullCharactersValidator); query parameters are read by many views, so it is checked once
    here. Uploaded files are not looked at (a binary file is refused by the upload checks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL character in the request")
        return self.get_response(request)
