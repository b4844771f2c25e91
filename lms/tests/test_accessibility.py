"""axe-core over every page each role reaches (issue 13 item 24): WCAG 2.2 AA, no serious or
critical violation.

The pages come from the URL access table (lms/tests/test_url_access.py): every named URL whose row
says a role gets a 200, with the objects of the table's small organisation, plus the states a GET
of the table does not reach (an open quiz attempt, a failed login). Downloads (CSV, PDF, XLSX,
JSON) are not pages. axe-core is vendored from npm for the tests only (lms/tests/vendor/axe-core,
its version in VERSION there); it is never served to users.

One browser context per role, one tab reused for all of its pages; each page is checked at
1,280 px and again at 390 px.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from assignments.services.attempts import attempt_start
from courses.models import Quiz
from lms.tests.factories import TEST_PASSWORD
from lms.tests.test_url_access import ROLES, TABLE, world  # noqa: F401 - the table's fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

# Named URLs that answer a download or a redirect rather than a page.
NOT_PAGES = {
    "logout",
    "audit_export_csv",
    "audit_export_pdf",
    "authoring_course_export",
    "authoring_translations_export",
    "assignments:upload_status",
    "assignments:upload_template",
    "certificate_download",
    "reports_team_export",
    "reports_organisation_export",
    "reports_forecast_export",
    "reports_item_analysis_export",
    "reports_team_retention_export",
    "reports_organisation_retention_export",
    "escalation:case_file_pdf",
    "escalation:warning_letter_pdf",
    "api:schema",  # the OpenAPI document (YAML); its page is api:docs
}

# The table's role -> the people it signs in as here (another team's manager sees what the
# learner's own manager sees, on fewer rows).
CHECKED_ROLES = ("anonymous", "learner", "own_manager", "admin")

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.filter(n => n.impact === "serious" || n.impact === "critical" || !n.impact)
      .map(n => n.target.join(" ") + (n.failureSummary ? " — " + n.failureSummary.split("\\n").slice(1).join(" ") : "")),
  }));
}"""


@pytest.fixture(autouse=True)
def _default_policy(transactional_db):
    """The default escalation policy the table's world expects (a transactional test's flush
    removed the one a data migration seeded)."""
    from escalation.services import policy_ensure_default

    policy_ensure_default()


def pages_for(role: str, kwargs: dict) -> list[str]:
    column = ROLES.index(role)
    urls = []
    for name, row in sorted(TABLE.items()):
        if name in NOT_PAGES or row.get[column] != 200:
            continue
        urls.append(reverse(name, kwargs=kwargs[row.kwargs]) + (f"?{row.query}" if row.query else ""))
    return urls


# Each page is checked on a laptop and on a phone (a table that scrolls sideways must take the
# keyboard, a control must stay large enough to tap).
WIDTHS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})


def violations_on(page: Page, url: str) -> list[str]:
    page.set_viewport_size(WIDTHS[0])
    try:
        response = page.goto(url)
    except PlaywrightError as error:
        # A course file, a video or a CPD evidence file: the browser downloads it, no page to check.
        if "Download is starting" in str(error):
            return []
        raise
    if response.status != 200:
        return [f"{url} answered {response.status}, not the page"]
    if "text/html" not in response.headers.get("content-type", ""):
        return []  # a picker's JSON, not a page
    page.add_script_tag(path=str(AXE))
    found = []
    for size in WIDTHS:
        if size is not WIDTHS[0]:
            page.set_viewport_size(size)
            page.wait_for_timeout(250)  # the page's resize handler (static/js/app.js) runs first
            # Readable at 390 px means no sideways scrolling of the whole page (eyes 14, F5): a
            # wide table scrolls inside its own .table-responsive box.
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > size["width"]:
                found.append(f"{url} at {size['width']} px scrolls sideways: the page is {width} px wide")
        for violation in page.evaluate(RUN_AXE, WCAG_22_AA):
            if violation["impact"] not in BLOCKING:
                continue
            for target in violation["targets"][:5]:
                found.append(
                    f"{url} at {size['width']} px [{violation['impact']}] {violation['id']} "
                    f"({violation['help']}): {target}"
                )
    return found


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("role", CHECKED_ROLES)
def test_every_page_of_a_role_has_no_serious_or_critical_axe_violation(role, world, browser: Browser, live_server):  # noqa: F811
    users, kwargs = world
    urls = pages_for(role, kwargs)
    if role == "learner":
        # An open attempt: the quiz itself, which the table only reaches after submission.
        late = users["learner"].assignments.get(course__code="GDPR-1")
        attempt = attempt_start(assignment=late, quiz=late.course.quizzes.get(kind=Quiz.Kind.FINAL))
        urls.append(reverse("player_attempt", kwargs={"attempt_pk": attempt.pk}))
    assert len(urls) >= {"anonymous": 5, "learner": 10, "own_manager": 8, "admin": 60}[role]

    # The site's CSP allows only its own scripts: the test's axe is injected past it.
    context = browser.new_context(base_url=live_server.url, viewport=WIDTHS[0], bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    found = []
    try:
        if role == "anonymous":
            # The login page again, as it shows a wrong password.
            page.goto(reverse("login"))
            page.get_by_label("Email address").fill("nobody@example.com")
            page.get_by_label("Password").fill("wrong")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
            page.add_script_tag(path=str(AXE))
            found += [
                f"login (failed) [{v['impact']}] {v['id']}: {t}"
                for v in page.evaluate(RUN_AXE, WCAG_22_AA)
                if v["impact"] in BLOCKING
                for t in v["targets"][:5]
            ]
        else:
            sign_in(page, live_server.url, users[role].email)
        for url in urls:
            found += violations_on(page, url)
    finally:
        context.close()
    if found:
        pytest.fail(f"{len(found)} serious or critical axe violations for {role}:\n" + "\n".join(found), pytrace=False)
