"""Hostile input on every URL and every form: a person never gets a 500, whatever they send.

The URLs come from the access table (``lms/tests/test_url_access.py``), so a URL added there is
walked here without more work. Each URL is walked as a role the table lets use it:

- GET: the query parameters are discovered, both those the view reads while it runs (every key
  looked up in ``request.GET`` is recorded, so a form bound to the query string names all its
  fields) and those of the page's GET forms; each is sent with each hostile value in turn, the
  others as in the table. Each id in the path is also replaced by one too large for any table.
- POST: the forms on every walked page are parsed (fields and their rendered values, which make
  a valid baseline) and grouped by the URL they post to, with the keys the view reads from
  ``request.POST``. Each field (the first row of a formset) gets the hostile values of its input
  type: in round i every field carries its i-th value at once (which finds faults of values
  together, such as a month and a day each refused alone), then each value its own field did not
  refuse is sent again alone, so no other field's error hides it from the code behind the form.
  A URL that only takes POSTs is posted even when no walked page holds its form.

Hostile values: empty, huge, NUL, unicode with a direction override, NaN, infinity, negative,
fractional and out-of-range numbers, far and impossible dates, the ids of other people's
records, deeply nested JSON and broken CSV files. Each request runs in a savepoint that is rolled
back and keeps the walker signed in, so one request never changes what the next one sees. The
PDF exports are rendered for real once per URL; for the hostile requests WeasyPrint's layout is
skipped (the template is still rendered and parsed), which keeps the walk within a minute.

The walk fails on any 5xx, naming each request and its exception.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet
from django.http import QueryDict
from django.test import Client
from django.test.utils import ContextList
from django.urls import reverse

from assignments.models import Assignment
from assignments.services.attempts import attempt_start
from courses.models import Choice, Quiz
from courses.tests.factories import AssignmentFactory, make_course
from escalation.models import EscalationPolicy
from lms.fields import MAX_FORMSET_ROWS
from lms.models import User
from lms.tests import test_url_access
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.test_url_access import ROLES, TABLE, url_names

pytestmark = pytest.mark.django_db

# The access table's small organisation (a fixture).
access_table_world = test_url_access.world

HUGE = "9" * 40
LONG = "x" * 3000
NUL = "nul\x00byte"
UNICODE = "ü😀\u202e<b>'\""
FORM_TYPE = "application/x-www-form-urlencoded"


def hostile_values(kind: str, other_ids: list[str]) -> list:
    """The values tried for a field of an HTML input type (``any``: a query parameter no form
    declares, whose type is not known)."""
    if kind == "date":
        return ["", "9999-12-31", "0001-01-01", "2026-02-30", "NaN", LONG]
    if kind == "datetime-local":
        return ["9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30T10:00", "NaN"]
    if kind in ("number", "range"):
        return ["", "NaN", "Infinity", "-1", HUGE, "1.5", UNICODE]
    if kind == "checkbox":
        return ["", LONG]
    if kind == "file":
        return HOSTILE_FILES
    if kind in ("select", "radio", "hidden"):
        return ["", "-1", HUGE, "NaN", LONG, NUL, *other_ids]
    if kind in ("text", "textarea", "email", "url", "password", "search", "tel"):
        return ["", LONG, NUL, UNICODE, "NaN"]
    return ["", LONG, NUL, UNICODE, "NaN", "-1", HUGE, "9999-12-31", *other_ids]


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


HOSTILE_FILES = [
    ("empty.json", b""),
    ("deep.json", _nested(100_000)),
    ("deep-object.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("numbers.json", b'{"format": NaN, "course": {"code": 1e999}, "format_version": ' + b"9" * 5000 + b"}"),
    ("nul-bom.csv", "\ufeffemail,first_name\n\ufeffa@example.com,\x00\n".encode()),
    ("latin1.csv", "email,first_name\nb@example.com,Jos\xe9\n".encode("latin-1")),
]

# A valid upload for each file field, so the form's other fields are tried on their own.
BASELINE_FILES = {
    "package": ("package.json", (settings.BASE_DIR / "courses" / "packages" / "HS-101.json").read_bytes()),
    "file": (
        "people.csv",
        b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
        b"new@example.com,New,Person,E1,,Operations,Analyst,2024-01-01,Europe/London\n",
    ),
}


# --- reading forms out of pages -------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str = "post"
    multipart: bool = False
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type
    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # as the browser sends


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: list | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_url, a.get("action") or self.page_url))
            self._form = Form(
                action=action.path + (f"?{action.query}" if action.query else ""),
                method=(a.get("method") or "get").lower(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            self._form.kinds.setdefault(a["name"], kind)
            if kind == "file":
                self._form.values.setdefault(a["name"], [])
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self._form.values[a["name"]].append(a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
            self._form.kinds.setdefault(a["name"], "select")
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "", "selected" in a]
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.kinds.setdefault(a["name"], "textarea")
            self._form.values[a["name"]].append("")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.values[self._textarea][-1] += data
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            value, text, selected = self._option
            self._options.append((value if value is not None else text.strip(), selected))
            self._option = None
        elif tag == "select" and self._select and self._form is not None:
            chosen = [value for value, selected in self._options if selected] or [v for v, _s in self._options[:1]]
            self._form.values[self._select].extend(chosen)
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_forms(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms


# --- the walker -----------------------------------------------------------------------------


class _Recorder:
    """Records the keys looked up in each QueryDict while a request runs (by object identity)."""

    def __init__(self) -> None:
        self.keys: dict[int, set[str]] = defaultdict(set)

    def install(self, monkeypatch) -> None:
        for name in ("get", "getlist", "__getitem__", "__contains__"):
            monkeypatch.setattr(QueryDict, name, self._recording(getattr(QueryDict, name)))

    def _recording(self, original):
        keys = self.keys

        def recording(querydict, key, *args, **kwargs):
            keys[id(querydict)].add(key)
            return original(querydict, key, *args, **kwargs)

        return recording

    def read_from(self, querydict) -> set[str]:
        return set(self.keys.get(id(querydict), ())) if querydict is not None else set()


class _Rollback(Exception):
    pass


@dataclass
class Walker:
    clients: dict[str, Client]
    recorder: _Recorder
    real_pdf: bool = True
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, role: str, method: str, url: str, data: dict | None = None, *, multipart: bool = False):
        client = self.clients[role]
        self.recorder.keys.clear()
        self.requests += 1
        # A logout or a password change must not sign the walker out for the next request.
        kept = client.cookies
        client.cookies = SimpleCookie()
        client.cookies.update(kept)
        response = None
        try:
            with transaction.atomic():
                if method == "get":
                    response = client.get(url)
                elif multipart:
                    response = client.post(url, data or {})
                else:
                    response = client.post(url, urlencode(data or {}, doseq=True), content_type=FORM_TYPE)
                raise _Rollback
        except _Rollback:
            pass
        finally:
            client.cookies = kept
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            raised = f"{error[0].__name__}: {str(error[1])[:160]}" if error else ""
            sent = {key: _short(value) for key, value in (data or {}).items() if key != "csrfmiddlewaretoken"}
            self.failures.append(
                f"{method.upper()} {_short(url, 160)} as {role} {sent or ''}-> {response.status_code} {raised}"
            )
        return response


def _short(value, limit: int = 40) -> str:
    text = getattr(value, "name", None) or str(value)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


def allowed_role(row) -> str:
    """A role the table lets use the URL: one that gets the page, else one that may POST to a
    POST-only URL (405 to a GET and not refused), else a signed-in role that is sent on, else (a
    bearer-token endpoint, SCIM: 401 to every session) the admin, whose walk checks that no value
    gets past the token check into a 500; ``lms/tests/test_scim.py`` walks them with a token."""
    for wanted in (200, 405, 302, 401):
        for role in ("admin", "own_manager", "learner", "anonymous", "other_manager"):
            status = row.get[ROLES.index(role)]
            if status == wanted and role not in row.post and not (status == 302 and role == "anonymous"):
                return role
    raise AssertionError(f"no role may use {row}")


FORMSET_ROW = re.compile(r"-(\d+)-")
# Rendered in a formset's management form, never read by Django.
IGNORED = re.compile(r"-(MIN|MAX)_NUM_FORMS$")


def _walked_names(names: dict[str, str]) -> dict[str, str]:
    """A formset's first row stands for the others (they are the same form)."""
    return {
        name: kind
        for name, kind in names.items()
        if all(int(n) == 0 for n in FORMSET_ROW.findall(name)) and not IGNORED.search(name)
    }


def _baseline(form: Form) -> dict:
    data = {name: list(values) for name, values in form.values.items() if form.kinds.get(name) != "file"}
    for name, kind in form.kinds.items():
        if kind == "file" and name in BASELINE_FILES:
            data[name] = BASELINE_FILES[name]
    return data


def _as_sent(data: dict) -> dict:
    return {key: SimpleUploadedFile(*value) if isinstance(value, tuple) else value for key, value in data.items()}


def field_errors(response) -> set[str]:
    """The names (as posted) of the fields a re-rendered page marks wrong; empty when it shows no
    bound form (a redirect, a download)."""
    contexts = response.context
    if contexts is None:
        return set()
    refused = set()
    for context in contexts if isinstance(contexts, ContextList) else [contexts]:
        for value in context.flatten().values():
            found = value.forms if isinstance(value, BaseFormSet) else [value] if isinstance(value, BaseForm) else []
            for form in found:
                if form.is_bound:
                    refused |= {form.add_prefix(name) for name in form.errors if name != NON_FIELD_ERRORS}
    return refused


def walk_fields(send, baseline: dict, names: dict[str, str], other_ids: list[str]) -> None:
    """Send each field's hostile values. Round i sets every field to its i-th value at once; a
    value the page then marks wrong on its own field was refused by the form and needs nothing
    more, any other is sent again alone (so no field's error hides another field's value from the
    code behind the form)."""
    values = {name: hostile_values(kind, other_ids) for name, kind in names.items()}
    for index in range(max(map(len, values.values()), default=0)):
        mutated = {name: tried[index] for name, tried in values.items() if index < len(tried)}
        refused = field_errors(send({**baseline, **mutated})) if len(mutated) > 1 else set(mutated)
        for name, value in mutated.items():
            if name not in refused and baseline.get(name) not in ([value], value):
                send({**baseline, name: value})


def _targets(kwargs: dict) -> list[tuple[str, str, dict]]:
    """(url name, role, path kwargs) for every URL of the table, and the pages a fresh world does
    not show: a quiz in progress (the answer form, with the attestation password)."""
    targets = []
    for name in sorted(url_names() & TABLE.keys()):
        row = TABLE[name]
        targets.append((name, allowed_role(row), kwargs[row.kwargs]))
    late = Assignment.objects.get(pk=kwargs["case_file"]["assignment_pk"])
    late.course.compliance_critical = True
    late.course.save(update_fields=["compliance_critical"])
    attempt = attempt_start(assignment=late, quiz=late.course.quizzes.get(kind=Quiz.Kind.FINAL))
    targets.append(("player_attempt", "learner", {"attempt_pk": attempt.pk}))
    return targets


def test_no_hostile_value_in_any_query_parameter_or_form_field_gives_a_500(access_table_world, monkeypatch):
    import weasyprint

    users, kwargs = access_table_world
    other_learner = User.objects.filter(manager__first_name="Other").get()
    other_quiz_choice = Choice.objects.filter(question__quiz__course__code="FIRE-1").first()  # not the open quiz's
    other_ids = [str(other_learner.pk), str(other_quiz_choice.pk)]
    clients = {}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)
        if user is not None:
            clients[role].force_login(user)
    recorder = _Recorder()
    walker = Walker(clients=clients, recorder=recorder)
    write_pdf = weasyprint.HTML.write_pdf
    monkeypatch.setattr(
        weasyprint.HTML, "write_pdf", lambda self, *a, **k: write_pdf(self, *a, **k) if walker.real_pdf else b"%PDF-"
    )
    targets = _targets(kwargs)
    recorder.install(monkeypatch)

    posts: dict[str, list[tuple[str, Form]]] = defaultdict(list)
    walked_gets = set()
    for name, role, path_kwargs in targets:
        path = reverse(name, kwargs=path_kwargs)
        base = QueryDict(TABLE[name].query, mutable=True)
        probe = base.copy()
        probe["_probe"] = "1"  # a non-empty query string binds the page's filter forms
        walker.real_pdf = True
        response = walker.send(role, "get", f"{path}?{probe.urlencode()}")
        walker.real_pdf = False
        params = recorder.read_from(response.wsgi_request.GET) - {"_probe"}
        kinds: dict[str, str] = {}
        body = b"".join(response.streaming_content) if response.streaming else response.content
        html = body.decode("utf-8", "replace") if "html" in response.get("Content-Type", "") else ""
        forms = parse_forms(html, path)
        for form in forms:
            if form.method == "get" and urlsplit(form.action).path == path:
                kinds.update(form.kinds)
            elif form.method == "post":
                posts[form.action].append((role, form))
        if response.status_code == 405 and not any(f.action == path for f in forms):
            posts[path].append((role, Form(action=path)))
        for param in sorted(params | set(kinds)):
            for value in hostile_values(kinds.get(param, "any"), other_ids):
                query = base.copy()
                query[param] = value
                walker.send(role, "get", f"{path}?{query.urlencode()}")
        ids = [key for key, value in path_kwargs.items() if isinstance(value, int)]
        if ids:
            walker.send(role, "get", reverse(name, kwargs={**path_kwargs, **dict.fromkeys(ids, HUGE)}))
        walked_gets.add(name)

    posted = set()
    for action, found in sorted(posts.items()):
        # One walk per URL: the fullest form posting there is the baseline, with every field any
        # form posting there has and every key the view reads.
        role, form = max(found, key=lambda pair: len(pair[1].kinds))
        baseline = _baseline(form)
        response = walker.send(role, "post", action, _as_sent(baseline), multipart=form.multipart)
        posted.add(urlsplit(action).path)
        names = {name: kind for _role, other in found for name, kind in other.kinds.items()} | form.kinds
        for read in recorder.read_from(getattr(response.wsgi_request, "_post", None)):
            names.setdefault(read, "any")
        names.pop("csrfmiddlewaretoken", None)
        multipart = form.multipart or "file" in names.values()

        def send(data, role=role, action=action, multipart=multipart):
            return walker.send(role, "post", action, _as_sent(data), multipart=multipart)

        walk_fields(send, baseline, _walked_names(names), other_ids)

    assert walked_gets == url_names() & TABLE.keys()
    post_only = {reverse(name, kwargs=kwargs[row.kwargs]) for name, row in TABLE.items() if 405 in row.get and row.post}
    assert post_only - posted == set(), "POST-only URLs no walked page posts to"
    assert walker.requests > 1000
    assert walker.failures == [], f"{len(walker.failures)} requests answered 5xx:\n" + "\n".join(walker.failures)


# --- faults the walk found, pinned one by one -----------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_a_department_id_too_large_for_the_database_filters_nothing_on_the_people_page(admin_client):
    person = UserFactory()

    response = admin_client.get(reverse("people"), {"department": HUGE})

    assert response.status_code == 200
    assert person in response.context["page"].object_list


def test_learners_chosen_by_an_id_too_large_for_the_database_get_a_field_error(admin_client):
    course = make_course(code="IDS-1", questions=1)

    response = admin_client.post(
        reverse("assignments:assign"),
        {
            "course": course.pk,
            "target": "learners",
            "learners": [HUGE],
            "due_mode": "after_assignment",
            "due_days": "30",
        },
    )

    assert response.status_code == 200
    # The people picker (lms/widgets.py) names the value nobody has.
    assert response.context["form"].errors["learners"][0] == (
        f"No one you can choose here has the email address or employee id “{HUGE}”."
    )
    assert not Assignment.objects.exists()


def test_a_bulk_action_on_an_assignment_id_too_large_for_the_database_is_refused_with_a_message(admin_client):
    assignment = AssignmentFactory()

    response = admin_client.post(
        reverse("assignments:bulk"),
        {"action": "archive", "reason": "retraining", "ids": [assignment.pk, HUGE]},
        follow=True,
    )

    # The list again with the rows still ticked and the message beside Apply (issue 13 item 14).
    assert response.status_code == 200
    # A generic message: the submitted value is never shown back (fix_misc item 5: it may hold a NUL).
    assert response.context["bulk_form"].errors["ids"] == [
        "One of the ticked assignments is not valid: reload the list and tick them again."
    ]
    assert Assignment.objects.get().archived_at is None


def test_a_ladder_whose_saved_steps_come_back_as_new_ones_is_refused_with_a_message(admin_client):
    # A stale or altered page: the management form counts one saved step where the ladder has
    # three, so steps 7 and 14 come back as new steps on days the ladder already has. The policy
    # names a compliance officer: its day-14 step tells one (a step telling nobody is refused).
    policy = EscalationPolicy.objects.get(course_code="")
    EscalationPolicy.objects.filter(pk=policy.pk).update(compliance_officer=UserFactory())
    ladder = list(policy.steps.order_by("days_overdue").values_list("days_overdue", flat=True))
    path = reverse("escalation:policy_edit", args=[policy.pk])
    (form,) = [f for f in parse_forms(admin_client.get(path).content.decode(), path) if f.action == path]
    data = {name: values for name, values in form.values.items() if name != "csrfmiddlewaretoken"}
    data["steps-INITIAL_FORMS"] = ["1"]

    response = admin_client.post(path, data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Two steps of the ladder fire on the same day overdue; reload the page to see the saved ladder."
    ]
    assert list(policy.steps.order_by("days_overdue").values_list("days_overdue", flat=True)) == ladder


def test_an_annual_clean_slate_on_a_month_and_day_too_large_for_a_date_is_a_field_error(admin_client):
    # Found by sending every field's value at once: each alone is refused, together they reached
    # date(2025, month, day), which raised OverflowError, not ValueError.
    policy = EscalationPolicy.objects.get(course_code="")
    path = reverse("escalation:policy_edit", args=[policy.pk])
    (form,) = [f for f in parse_forms(admin_client.get(path).content.decode(), path) if f.action == path]
    data = {name: values for name, values in form.values.items() if name != "csrfmiddlewaretoken"}
    data |= {"clean_slate_month": HUGE, "clean_slate_day": HUGE}

    response = admin_client.post(path, data)

    assert response.status_code == 200
    assert "That is not a date in every year." in response.context["form"].errors["clean_slate_day"]
    policy.refresh_from_db()
    assert policy.clean_slate_month is None


@pytest.mark.parametrize("formset", ["choices", "steps"])
def test_a_posted_form_count_in_the_millions_builds_at_most_50_rows_and_says_so(admin_client, formset):
    # Django believes a posted TOTAL_FORMS up to 2,000 rows, each then cleaned and rendered.
    if formset == "choices":
        question = make_course(code="ROWS-1", questions=1).quizzes.get().questions.get()
        path = reverse("authoring_question_edit", args=[question.quiz.course_id, question.quiz_id, question.pk])
    else:
        path = reverse("escalation:policy_edit", args=[EscalationPolicy.objects.get(course_code="").pk])
    (form,) = [f for f in parse_forms(admin_client.get(path).content.decode(), path) if f.action == path]
    data = {name: values for name, values in form.values.items() if name != "csrfmiddlewaretoken"}
    data[f"{formset}-TOTAL_FORMS"] = "99999999"

    response = admin_client.post(path, data)

    assert response.status_code == 200
    assert len(response.context["formset" if formset == "choices" else "steps"].forms) == MAX_FORMSET_ROWS
    assert "Please submit at most 50 forms." in response.content.decode()


def test_a_clean_slate_posted_for_a_course_code_holding_nul_counts_nothing_and_archives_nothing(admin_client):
    # PostgreSQL refuses NUL in a text comparison: the page counted active assignments for the
    # raw posted code (a DataError there); it counts only for a course the form offers.
    assignment = AssignmentFactory()

    response = admin_client.post(
        reverse("assignments:clean_slate"), {"course_code": "nul\x00byte", "reason": "clean_slate", "confirm": "on"}
    )

    assert response.status_code == 200
    assert response.context["active"] is None
    assert "course_code" in response.context["form"].errors
    assert Assignment.objects.get(pk=assignment.pk).archived_at is None
