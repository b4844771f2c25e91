"""Production smoke test: the README's Production section, run end to end.

Production settings in a clean environment (no DEBUG, no development key), `check --deploy`,
`collectstatic` into a fresh STATIC_ROOT, `migrate` on a fresh PostgreSQL database, the demo
organisation (`seed_demo`), gunicorn on a loopback port. Then Chromium logs in as a learner, a
manager and an admin and opens every page of their navigation and every link on their home page:
each answers 200 from gunicorn with a Content-Security-Policy and HSTS, every static file a page
loads answers 200 under a content-hashed name, and the browser logs no error.

gunicorn stands where it stands behind the TLS reverse proxy of a deployment: the browser speaks
plain HTTP on loopback and sends the `X-Forwarded-Proto: https` header a proxy adds, which the
production settings trust (SECURE_PROXY_SSL_HEADER), so they run unchanged (HTTPS redirect, HSTS,
secure cookies). The environment adds one thing a proxied deployment does not need:
CSRF_TRUSTED_ORIGINS for this browser's own origin, http://127.0.0.1:PORT (behind a proxy the
browser's origin is the https one Django expects).
"""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from django.conf import settings
from django.urls import reverse

from lms.demo import DEMO_PASSWORD
from lms.tests.deploy import ROOT, manage, production_env

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")
YEAR = 365 * 24 * 60 * 60
# The demo's fixed logins (lms/demo.py), and pages each must find among the links it opens.
ROLES = {
    "learner@example.com": ["home", "assignments:my_history"],
    "manager@example.com": ["home", "team", "reports_team_dashboard"],
    "admin@example.com": ["home", "people", "assignments:list", "reports_organisation", "audit"],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fresh_database():
    """An empty PostgreSQL database on the test server, named after the test database (so
    parallel runs with their own TEST_DATABASE_NAME never share it); dropped afterwards."""
    db = settings.DATABASES["default"]
    base = db.get("TEST", {}).get("NAME") or db["NAME"]
    name = f"{base if base.startswith('test_') else 'test_' + base}_smoke"
    server = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    password = f":{quote(server['password'], safe='')}" if server["password"] else ""
    yield f"postgres://{quote(server['user'], safe='')}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.fixture
def gunicorn(fresh_database, production_static_root, tmp_path):
    """The deployment, as the README's Production section lists it; yields (origin, log file)."""
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    env = production_env(
        DATABASE_URL=fresh_database,
        STATIC_ROOT=str(production_static_root),
        MEDIA_ROOT=str(tmp_path / "media"),
        SITE_URL=origin,
        CSRF_TRUSTED_ORIGINS=origin,
    )
    checked = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in checked.stdout, checked.stdout + checked.stderr
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--learners", "6", "--url", f"{origin}/")

    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "lms.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
            + ["--timeout", "120", "--access-logfile", "-"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"gunicorn exited {server.returncode}:\n{log.read_text()[-4000:]}"
            try:
                if _get(port, "/accounts/login/", **{"X-Forwarded-Proto": "https"}).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer in 90 s:\n{log.read_text()[-4000:]}"
            time.sleep(0.5)
        yield port, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _check_html(response, path: str, log: Path) -> None:
    assert response.status == 200, f"{path} answered {response.status}:\n{log.read_text()[-4000:]}"
    headers = response.headers  # lower-case names
    assert headers.get("server") == "gunicorn", path
    policy = headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    hsts = headers.get("strict-transport-security", "")
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= YEAR and "includeSubDomains" in hsts, (path, hsts)


def _visit_as(browser, origin: str, email: str, log: Path) -> tuple[list[str], list[str], list[tuple[int, str]]]:
    """Log in as ``email`` and open every page the navigation and the home page link to.
    Returns the paths opened, what the browser complained about, and every static response."""
    context = browser.new_context(base_url=origin, extra_http_headers={"X-Forwarded-Proto": "https"})
    context.set_default_timeout(60_000)
    page = context.new_page()
    problems: list[str] = []
    statics: list[tuple[int, str]] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text} ({m.location['url']})"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error {error}"))
    page.on("requestfailed", lambda request: problems.append(f"{page.url}: {request.url} {request.failure}"))
    page.on(
        "response",
        lambda r: urlsplit(r.url).path.startswith("/static/") and statics.append((r.status, urlsplit(r.url).path)),
    )
    try:
        _check_html(page.goto("/accounts/login/"), "/accounts/login/", log)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        assert urlsplit(page.url).path == reverse("home"), f"{email} did not log in: {page.url}"
        session = next(c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
        assert session["secure"] and session["httpOnly"]

        links = page.locator("nav a[href^='/'], main a[href^='/']").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
        paths = list(dict.fromkeys([reverse("home"), *(href.split("#")[0] for href in links)]))
        if email.startswith("admin"):
            paths.append(reverse("admin:index"))
        for path in paths:
            # Downloads (a certificate PDF) are fetched; pages are opened in the browser.
            fetched = context.request.get(path, max_redirects=0)
            assert fetched.status == 200, f"{email}: {path} answered {fetched.status}:\n{log.read_text()[-4000:]}"
            if fetched.headers["content-type"].startswith("text/html"):
                _check_html(page.goto(path), path, log)
                page.wait_for_load_state("load")
            else:
                assert fetched.headers["content-type"] == "application/pdf" and fetched.body()[:5] == b"%PDF-", path
                assert "strict-transport-security" in fetched.headers, path
        return paths, problems, statics
    finally:
        context.close()


def test_a_production_deploy_serves_learner_manager_and_admin_pages_over_gunicorn(gunicorn, browser):
    port, log = gunicorn
    origin = f"http://127.0.0.1:{port}"

    # Plain HTTP (no proxy header) is sent to HTTPS: the production settings were not weakened.
    insecure = _get(port, "/accounts/login/")
    assert insecure.status == 301 and insecure.getheader("Location") == f"https://127.0.0.1:{port}/accounts/login/"

    for email, must_open in ROLES.items():
        paths, problems, statics = _visit_as(browser, origin, email, log)
        assert [reverse(name) for name in must_open if reverse(name) not in paths] == [], (email, paths)
        assert problems == [], email
        assert statics, f"{email}: no static file was loaded"
        assert [(status, path) for status, path in statics if status != 200] == [], email
        assert [path for _, path in statics if not HASHED_NAME.search(path)] == [], email
        loaded = {Path(path).name.split(".")[0] for _, path in statics}
        assert {"bootstrap", "app"} <= loaded, (email, loaded)
    assert "Traceback" not in log.read_text()
