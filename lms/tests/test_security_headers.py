"""Every HTML response carries a Content-Security-Policy (django-csp) that allows no inline script
or style and no third-party origin, and no template relies on inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC = Path(settings.BASE_DIR) / "static"
# `name.0123456789ab.ext` (or `LICENSE.0123456789ab`): ManifestStaticFilesStorage's content hash.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize(
    "name,role",
    [
        ("login", None),
        ("password_reset", None),
        ("certificate_verify_lookup", None),
        ("home", "learner"),
        ("assignments:my_history", "learner"),
        ("people", "admin"),
        ("audit", "admin"),
        ("authoring_course_list", "admin"),
        ("escalation:policies", "admin"),
    ],
)
def test_html_pages_carry_a_strict_content_security_policy(client, name, role):
    if role == "learner":
        client.force_login(UserFactory())
    elif role == "admin":
        client.force_login(AdminFactory())
    response = client.get(reverse(name))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header and "http" not in header


def test_error_pages_carry_the_policy_too(client):
    client.force_login(UserFactory())
    response = client.get(reverse("people"))
    assert response.status_code == 403 and "Content-Security-Policy" in response


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            if "src=" not in match.group(0) and 'type="application/json"' not in match.group(0):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text, flags=re.IGNORECASE):
            offenders.append(f"{path.relative_to(TEMPLATES)}: inline event handler")
        if re.search(r"javascript:", text, flags=re.IGNORECASE):
            offenders.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert offenders == []


def test_every_script_and_stylesheet_in_the_base_layout_is_served_from_our_own_static_files(client):
    client.force_login(UserFactory())
    html = client.get(reverse("home")).content.decode()
    sources = re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)
    assert sources and all(src.startswith("/static/") or src.startswith("/") for src in sources), sources
    assert not [src for src in sources if src.startswith("//") or "://" in src]


def test_production_serves_hashed_static_files_through_whitenoise_behind_gunicorn(production_static_root):
    import json
    import os
    import subprocess
    import sys

    probe = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'middleware': settings.MIDDLEWARE, 'static': settings.STORAGES['staticfiles']['BACKEND'],"
        " 'debug': settings.DEBUG, 'hsts': settings.SECURE_HSTS_SECONDS, 'ssl': settings.SECURE_SSL_REDIRECT,"
        " 'csp': 'csp.middleware.CSPMiddleware' in settings.MIDDLEWARE}))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "lms.settings_production",
        "SECRET_KEY": "a-long-random-production-secret-for-the-probe-0123456789-abcdefghij",
        "ALLOWED_HOSTS": "lms.example.com",
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    middleware = result["middleware"]
    # Right after SecurityMiddleware (only the shedding of requests that waited too long comes first).
    security = middleware.index("django.middleware.security.SecurityMiddleware")
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == security + 1
    assert middleware[0] == "lms.middleware.QueueTimeMiddleware"
    assert result["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert result["debug"] is False and result["ssl"] is True and result["hsts"] >= 365 * 24 * 3600
    assert result["csp"] is True
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert "gunicorn lms.wsgi" in readme and "WhiteNoise" in readme

    # `collectstatic` with that storage (the fixture) wrote a manifest naming every file of static/,
    # vendored ones included, by a content-hashed name (a file naming a source map or url() that is
    # not there makes collectstatic fail), and compressed copies where compressing pays (WhiteNoise
    # keeps none for a file too small to gain).
    manifest = json.loads((production_static_root / "staticfiles.json").read_text())["paths"]
    ours = sorted(path.relative_to(STATIC).as_posix() for path in STATIC.rglob("*") if path.is_file())
    assert "vendor/bootstrap/bootstrap.bundle.min.js" in ours and "vendor/bootstrap/bootstrap.min.css" in ours
    assert [name for name in ours if name not in manifest] == []
    assert [name for name in ours if not HASHED_NAME.search(manifest[name])] == []
    for name in ours:
        assert (production_static_root / manifest[name]).is_file(), manifest[name]
    for name in ("vendor/bootstrap/bootstrap.bundle.min.js", "vendor/bootstrap/bootstrap.min.css"):
        assert (production_static_root / f"{manifest[name]}.gz").is_file()
        assert (production_static_root / f"{manifest[name]}.br").is_file()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/assignments/?q=%00",
        "/assignments/?course=%00",
        "/people/?q=%00",
        "/courses/authoring/?q=%00",
        "/reports/verify/%00/",
    ],
)
def test_a_nul_character_in_the_query_is_a_400_page_not_a_500(client, url):
    """Outside eyes: NUL in a search or filter parameter answered 500 on PostgreSQL."""
    from lms.tests.factories import AdminFactory

    client.force_login(AdminFactory())
    response = client.get(url)
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
