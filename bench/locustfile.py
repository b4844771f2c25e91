"""The simulated people of `make bench-load` (bench/load.py starts Locust on this file; issue 18).

Learners sign in, open their home, a course, two modules (marking each done), start the final quiz,
save each answer as the player's script does, submit, read the result, download the certificate
and look at their history, thinking 30-90 s between pages. Managers sign in, open the team
dashboard and export it. People and courses come from the JSON file bench/load.py writes
(``LOAD_PEOPLE``): e-mail addresses, the password, each learner's assignment and the quiz's right
answers. ``LOAD_PROFILE`` picks the shape: ``ramp`` (learners added at ``LOAD_SPAWN_RATE`` a second
up to ``LOAD_USERS``, then held) or ``sync`` (``LOAD_USERS`` learners signed in within
``LOAD_SPAWN_SECONDS`` who go straight to the same course's quiz, as after a Monday-morning email).

Each request carries ``X-Request-Start: t=<microseconds>``, which a reverse proxy (nginx's
``t=${msec}``) adds in production: the server sheds requests that waited too long (README "Load").
Requests are named by page, not by address, so the table has one row a page.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from itertools import count
from urllib.parse import urljoin, urlsplit

from locust import HttpUser, LoadTestShape, between, task

PEOPLE = json.loads(open(os.environ["LOAD_PEOPLE"]).read())
PROFILE = os.environ.get("LOAD_PROFILE", "ramp")
USERS = int(os.environ.get("LOAD_USERS", "2000"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "5"))
HOLD_SECONDS = int(os.environ.get("LOAD_HOLD_SECONDS", "180"))
SPAWN_SECONDS = int(os.environ.get("LOAD_SPAWN_SECONDS", "60"))
# Seconds a person takes to type a password or read a page before the next click, in the steps a
# real person does without stopping to think (the synchronised start's sign-in and quiz start).
TYPING = (float(os.environ.get("LOAD_TYPING_MIN", "3")), float(os.environ.get("LOAD_TYPING_MAX", "10")))
THINK = (float(os.environ.get("LOAD_THINK_MIN", "30")), float(os.environ.get("LOAD_THINK_MAX", "90")))
MANAGER_SHARE = float(os.environ.get("LOAD_MANAGER_SHARE", "0.02"))
CORRECT = {int(pk) for pk in PEOPLE["correct_choices"]}
_learners = count()
_managers = count()

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MODULE = re.compile(r'href="(/courses/learn/\d+/modules/\d+/)"')
QUIZ_START = re.compile(r'action="(/courses/learn/\d+/quizzes/\d+/start/)"')
CHOICE = re.compile(r'<input[^>]*type="(radio|checkbox)"[^>]*name="(q_\d+)"[^>]*value="(\d+)"')
NEEDS_PASSWORD = re.compile(r'name="password"')
NEEDS_ATTEST = re.compile(r'name="attest"')
CERTIFICATE = re.compile(r'href="(/reports/certificates/\d+/pdf/)"')


PAGE_NAMES = (
    (re.compile(r"^/$"), "home"),
    (re.compile(r"^/accounts/login/"), "login page"),
    (re.compile(r"^/courses/learn/\d+/$"), "course"),
    (re.compile(r"^/courses/learn/\d+/modules/\d+/$"), "module"),
    (re.compile(r"^/courses/learn/attempts/\d+/$"), "attempt page"),
    (re.compile(r"^/courses/learn/attempts/\d+/result/$"), "result"),
)


def page_name(url: str) -> str:
    path = urlsplit(url).path
    return next((name for pattern, name in PAGE_NAMES if pattern.search(path)), path)


def _stamp() -> dict[str, str]:
    # What the TLS reverse proxy in front of gunicorn adds (README "Production"): the scheme the
    # browser used and when the request arrived; and, as nginx talks to its upstream by default
    # (HTTP/1.0, no keep-alive), one connection a request. Reusing kept-alive connections after
    # 30-90 s of thought raced gunicorn closing them ("Remote end closed connection without
    # response" on a POST, which a client does not retry): a failure of the simulation, not of the
    # server, which a proxy in front never meets.
    return {
        "X-Forwarded-Proto": "https",
        "X-Request-Start": f"t={int(time.time() * 1_000_000)}",
        "Connection": "close",
    }


class Person(HttpUser):
    abstract = True
    wait_time = between(*THINK)

    def headers(self) -> dict[str, str]:
        # The production settings' session and CSRF cookies are Secure: browsers send them back
        # over plain HTTP to loopback (a secure context), requests does not, so they are sent here.
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.client.cookies)
        return {**_stamp(), **({"Cookie": cookies} if cookies else {})}

    def get(self, url: str, name: str | None = None, **kwargs):
        """GET ``url``, following redirects here (with the cookies), each hop named by its page."""
        for _hop in range(5):
            response = self.client.get(
                url, name=name or page_name(url), headers=self.headers(), allow_redirects=False, timeout=60, **kwargs
            )
            if not response.is_redirect:
                return response
            url, name = urljoin(url, response.headers["Location"]), None
        return response

    def post(self, url: str, data: dict, name: str, referer: str, **kwargs):
        headers = {**self.headers(), "Referer": self.host.replace("http://", "https://") + referer}
        # A person waits a minute at most (the browser's spinner), then gives up: a failure.
        response = self.client.post(
            url, data=data, name=name, headers=headers, allow_redirects=False, timeout=60, **kwargs
        )
        if response.is_redirect:
            return self.get(urljoin(url, response.headers["Location"]))
        return response

    def csrf(self, page) -> str:
        match = CSRF.search(page.text)
        return match.group(1) if match else self.client.cookies.get("csrftoken", "")

    def sign_in(self, email: str, page=None):
        """Sign in on ``page`` (the login page, by default fetched now); the page landed on, or
        None when the sign-in failed."""
        page = page if page is not None else self.get("/accounts/login/", "login page")
        action = urlsplit(page.url)
        target = action.path + (f"?{action.query}" if action.query else "")
        time.sleep(random.uniform(*TYPING))  # typing the password
        response = self.post(
            target,
            {"csrfmiddlewaretoken": self.csrf(page), "username": email, "password": PEOPLE["password"]},
            "sign in",
            target,
        )
        signed_in = response.ok and "/accounts/login/" not in urlsplit(response.url).path
        return response if signed_in else None


class Learner(Person):
    """A learner's journey through one assigned course, from sign-in to certificate. In the
    synchronised start, the learner comes from the announcement's link to the course: signed out,
    so through the login page, back to the course, and straight to its quiz."""

    weight = int(round((1 - MANAGER_SHARE) * 100))

    def on_start(self):
        learners = PEOPLE["sync_learners" if PROFILE == "sync" else "learners"]
        self.me = learners[next(_learners) % len(learners)]
        self.from_email = PROFILE == "sync"
        self.first_journey = True
        self.signed_in = self.from_email or self.sign_in(self.me["email"]) is not None

    @task
    def journey(self):
        if not self.signed_in:
            self.signed_in = self.sign_in(self.me["email"]) is not None
            return
        course_url = f"/courses/learn/{self.me['assignment']}/"
        if self.first_journey and not self.from_email:
            self.wait()  # reading the home page the sign-in landed on before the first click
        self.first_journey = False
        if self.from_email:
            self.from_email = False
            login = self.get(course_url, "course from the email")  # -> the login page (next=course)
            course = self.sign_in(self.me["email"], page=login)
            if course is None:
                self.signed_in = False
                return
            time.sleep(random.uniform(*TYPING))  # reading the course page before starting
        else:
            course = self.get(course_url, "course")
            modules = list(dict.fromkeys(MODULE.findall(course.text)))[:2]
            for module_url in modules:
                self.wait()
                page = self.get(module_url, "module")
                self.post(module_url, {"csrfmiddlewaretoken": self.csrf(page)}, "module done", module_url)
            self.wait()
            course = self.get(course_url, "course")
        start = QUIZ_START.search(course.text)
        if not start:  # done already, or no tries left: read the history and sign off this course
            self.get("/assignments/history/", "history")
            return
        attempt = self.post(start.group(1), {"csrfmiddlewaretoken": self.csrf(course)}, "quiz start", course_url)
        attempt_url = urlsplit(attempt.url).path
        if "/attempts/" not in attempt_url:
            return
        form = {"csrfmiddlewaretoken": self.csrf(attempt)}
        for _kind, field, value in CHOICE.findall(attempt.text):
            if int(value) in CORRECT:
                form.setdefault(field, value)
        for field, value in form.items():
            if field.startswith("q_"):
                self.wait()
                self.post(
                    attempt_url + "answers/",
                    {"csrfmiddlewaretoken": form["csrfmiddlewaretoken"], "question": field[2:], "choice": value},
                    "answer saved",
                    attempt_url,
                )
        if NEEDS_ATTEST.search(attempt.text):
            form["attest"] = "on"
        if NEEDS_PASSWORD.search(attempt.text):
            form["password"] = PEOPLE["password"]
        self.wait()
        result = self.post(attempt_url, form, "quiz submit", attempt_url)
        certificate = CERTIFICATE.search(result.text)
        if certificate:
            self.wait()
            self.get(certificate.group(1), "certificate PDF")
        self.wait()
        self.get("/assignments/history/", "history")
        self.wait()
        self.get("/", "home")


class Manager(Person):
    """A team leader who looks at the team dashboard and exports it."""

    weight = int(round(MANAGER_SHARE * 100))

    def on_start(self):
        managers = PEOPLE["managers"]
        self.me = managers[next(_managers) % len(managers)]
        self.signed_in = self.sign_in(self.me["email"])

    @task
    def dashboard(self):
        if not self.signed_in:
            self.signed_in = self.sign_in(self.me["email"])
            return
        self.get("/reports/team/", "team dashboard")
        self.wait()
        self.get("/reports/team/export.csv", "team export CSV")


class Ramp(LoadTestShape):
    """Learners and managers added at LOAD_SPAWN_RATE a second up to LOAD_USERS, then held."""

    def tick(self):
        run_time = self.get_run_time()
        ramp = USERS / SPAWN_RATE
        if run_time < ramp + HOLD_SECONDS:
            return USERS, SPAWN_RATE
        return None


class SynchronisedStart(LoadTestShape):
    """LOAD_USERS learners signed in within LOAD_SPAWN_SECONDS, straight to the quiz, then held."""

    def tick(self):
        run_time = self.get_run_time()
        if run_time < SPAWN_SECONDS + HOLD_SECONDS:
            return USERS, USERS / SPAWN_SECONDS, [Learner]
        return None


# Locust takes the shape classes it finds in the file: keep only the chosen one.
if PROFILE == "sync":
    del Ramp
else:
    del SynchronisedStart
