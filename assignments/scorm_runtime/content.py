"""Where SCORM content runs: serving package files, their Content-Security-Policy, launch tokens.

Package files are third-party JavaScript. They are read from Django's default storage (never from
the site's static or media root) and served by ``views.content_file`` only to people who may play
or preview the package's course, with their own policy (``content_policy``): the package's own
scripts, styles and inline scripts run, only the player may frame them, and nothing else on the site
gets that policy.

Two deployments (README "SCORM packages"):

- same origin (``SCORM_CONTENT_ORIGIN`` empty): files under ``/scorm-content/<package uuid>/...``
  on the site itself, for the signed-in session; the content finds ``window.parent.API`` on the
  player page. Package JavaScript then runs with the learner's session on the LMS's origin.
- separate origin (``SCORM_CONTENT_ORIGIN`` = e.g. ``https://scorm.lms.example.com``): the player
  frames ``<origin>/scorm-launch/<token>/<item>/``, a small page on the content origin that hosts a
  stand-in run-time API (scorm-again's CrossFrameAPI) next to the content and relays every call to
  the player page by postMessage; the player page holds the real API and commits with the learner's
  session and CSRF token. The session cookie never reaches the content origin, so files there are
  served under ``/scorm-content/t/<token>/...``: a signed, short-lived token naming the person, the
  package and the player's origin.
"""

from __future__ import annotations

import functools
import mimetypes
import posixpath
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from assignments.models import Assignment
from courses.scorm.models import ScormPackage

_TOKEN_SALT = "assignments.scorm_runtime.content"
_UUID = re.compile(r"^[0-9a-f]{32}$")

# Types that matter for content to run, set explicitly (the system's mime.types may lack them).
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".swf": "application/octet-stream",  # never run as a plug-in
}


def content_origin() -> str:
    """The separate origin SCORM content is served from, or "" to serve it from the site itself."""
    value = (getattr(settings, "SCORM_CONTENT_ORIGIN", "") or "").rstrip("/")
    return value


def _normal_origin(scheme: str, netloc: str) -> tuple[str, str]:
    host = netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    if default and host.endswith(default):
        host = host[: -len(default)]
    return scheme.lower(), host


def on_content_origin(view):
    """The token and launch routes answer only on the content origin (scheme, host and port of
    ``SCORM_CONTENT_ORIGIN``) when it is set: on the site's own host a package page would run with
    the learner's session on the LMS origin (it can learn its token from ``location``). 404 elsewhere."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        origin = content_origin()
        if origin:
            wanted = urlsplit(origin)
            if _normal_origin(request.scheme, request.get_host()) != _normal_origin(wanted.scheme, wanted.netloc):
                raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def package_uuid(package: ScormPackage) -> str:
    """The folder name of the package in storage (``scorm/<uuid>/``): its public name in URLs."""
    return package.storage_prefix.rstrip("/").rsplit("/", 1)[-1]


def package_by_uuid(value: str) -> ScormPackage:
    """The package stored under ``value`` (32 hex digits), or 404."""
    if not _UUID.match(value):
        raise Http404
    prefix = f"{settings.SCORM_STORAGE_PREFIX.rstrip('/')}/{value}/"
    package = ScormPackage.objects.filter(storage_prefix=prefix).first()
    if package is None:
        raise Http404
    return package


def may_open(*, user, package: ScormPackage) -> bool:
    """People who may play the package's course (an assignment of it, active or kept as a record)
    or preview it (admins)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    return Assignment.objects.filter(learner_id=user.pk, course_id=package.course_id).exists()


def launch_token(*, user, package: ScormPackage, parent_origin: str) -> str:
    return signing.dumps({"u": user.pk, "p": package_uuid(package), "o": parent_origin}, salt=_TOKEN_SALT)


def read_token(token: str) -> dict:
    """The token's payload, or 404 (forged, or older than SCORM_LAUNCH_TOKEN_MAX_AGE)."""
    try:
        payload = signing.loads(token, salt=_TOKEN_SALT, max_age=settings.SCORM_LAUNCH_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise Http404
    if not isinstance(payload, dict) or not {"u", "p", "o"} <= payload.keys():
        raise Http404
    return payload


def clean_path(path: str) -> str:
    """The package-relative file name, or 404 for anything that could leave the package folder."""
    if not path or "\\" in path or "\x00" in path or path.startswith("/") or path.endswith("/"):
        raise Http404
    normal = posixpath.normpath(path)
    if normal.startswith("..") or normal.startswith("/") or normal == "." or normal != path:
        raise Http404
    return normal


def content_type_of(name: str) -> str:
    extension = posixpath.splitext(name)[1].lower()
    if extension in _TYPES:
        return _TYPES[extension]
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def content_policy(*, frame_ancestors: list[str]) -> str:
    """The Content-Security-Policy of package files and the launch page. Authoring tools put inline
    scripts and styles in their pages and some build functions from strings; those run, but only
    from the content's own origin, and only the player (``frame_ancestors``) may frame them."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": frame_ancestors,
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def serve_file(*, package: ScormPackage, path: str, frame_ancestors: list[str]) -> FileResponse:
    name = package.file_path(clean_path(path))
    if not default_storage.exists(name):
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except OSError:  # a folder, or gone since exists() (a package being deleted)
        raise Http404
    response = FileResponse(handle, content_type=content_type_of(name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = content_policy(frame_ancestors=frame_ancestors)
    # A token in the address must not travel to other sites in the Referer header.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=300"
    response._csp_exempt = True  # the policy above replaces the site's (django-csp)
    return response
