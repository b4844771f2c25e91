"""The demo organisation for `python manage.py seed_demo`.

Deterministic for a given seed and idempotent: people are matched by email, so running it again
updates the same rows and creates nothing new. Other apps add their demo data (courses,
assignments in every state, ...) through a ``demo.seed(org)`` function of their own, called in
app order after the organisation exists.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import dataclass, field

from django.db import transaction
from faker import Faker

from lms.models import Department, User

DEMO_PASSWORD = "learn-safely-2026"

DEPARTMENTS = {
    "Operations": ["Warehouse", "Logistics"],
    "Sales": [],
    "Finance": [],
    "Engineering": [],
    "People & HR": [],
    "Customer Support": [],
}

TEAM_TITLES = {
    "Warehouse": "Warehouse operative",
    "Logistics": "Logistics coordinator",
    "Sales": "Account executive",
    "Finance": "Finance analyst",
    "Engineering": "Software engineer",
    "People & HR": "HR advisor",
    "Customer Support": "Support agent",
}

TIMEZONES = ["Europe/London", "Europe/London", "Europe/Dublin", "Europe/Berlin", "America/New_York"]

# Fixed logins printed at the end of the seed, one per role.
DEMO_LOGINS = [
    ("admin@example.com", "Alex", "Admin", "Compliance administrator", "admin"),
    ("director@example.com", "Dana", "Director", "Managing director", "manager of managers"),
    ("manager@example.com", "Morgan", "Manager", "Head of operations", "manager of managers"),
    ("teamlead@example.com", "Taylor", "Lead", "Team leader", "team leader"),
    ("learner@example.com", "Lee", "Learner", "Warehouse operative", "learner"),
]


@dataclass
class DemoOrg:
    seed: int
    rng: random.Random
    today: dt.date
    admin: User
    director: User
    departments: dict[str, Department]
    team_leaders: list[User] = field(default_factory=list)
    learners: list[User] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


_DEMO_HASH: dict[str, str] = {}


def _demo_password_hash() -> str:
    # Hashing is deliberately slow (a third of a second); demo accounts share one hash of the
    # published demo password instead of paying for it 150 times.
    if "hash" not in _DEMO_HASH:
        from django.contrib.auth.hashers import make_password

        _DEMO_HASH["hash"] = make_password(DEMO_PASSWORD)
    return _DEMO_HASH["hash"]


def _upsert(email: str, **fields) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, password=_demo_password_hash(), **fields)
    else:
        for name, value in fields.items():
            setattr(user, name, value)
    user.save()
    return user


@transaction.atomic
def seed_demo(*, learners: int = 120, seed: int = 2026, today: dt.date | None = None) -> DemoOrg:
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    today = today or dt.date.today()

    departments: dict[str, Department] = {}
    for name, children in DEPARTMENTS.items():
        parent, _ = Department.objects.get_or_create(name=name)
        departments[name] = parent
        for child in children:
            departments[child], _ = Department.objects.update_or_create(name=child, defaults={"parent": parent})

    def hire_date() -> dt.date:
        return today - dt.timedelta(days=rng.randint(30, 3650))

    admin = _upsert(
        "admin@example.com",
        first_name="Alex",
        last_name="Admin",
        job_title="Compliance administrator",
        department=departments["People & HR"],
        is_staff=True,
        is_superuser=True,
        hire_date=hire_date(),
        employee_id="E0001",
    )
    director = _upsert(
        "director@example.com",
        first_name="Dana",
        last_name="Director",
        job_title="Managing director",
        manager=None,
        hire_date=hire_date(),
        employee_id="E0002",
    )
    org = DemoOrg(seed=seed, rng=rng, today=today, admin=admin, director=director, departments=departments)

    # Heads of department report to the director; team leaders to the heads; learners to team leaders.
    team_departments = [name for name in TEAM_TITLES]
    heads: dict[str, User] = {}
    for index, name in enumerate(["Operations", "Sales", "Finance", "Engineering", "People & HR", "Customer Support"]):
        email = "manager@example.com" if name == "Operations" else f"head.{index}@example.com"
        first, last = ("Morgan", "Manager") if name == "Operations" else (fake.first_name(), fake.last_name())
        heads[name] = _upsert(
            email,
            first_name=first,
            last_name=last,
            job_title=f"Head of {name}",
            manager=director,
            department=departments[name],
            hire_date=hire_date(),
            employee_id=f"E01{index:02d}",
        )

    remaining = max(learners, 1)
    team_index = 0
    learner_index = 0
    while remaining > 0:
        dept_name = team_departments[team_index % len(team_departments)]
        head = heads.get(dept_name) or heads["Operations"]
        size = min(remaining, rng.randint(6, 12))
        if team_index == 0:
            lead = _upsert(
                "teamlead@example.com",
                first_name="Taylor",
                last_name="Lead",
                job_title="Team leader",
                manager=head,
                department=departments[dept_name],
                hire_date=hire_date(),
                employee_id="E0200",
            )
        else:
            lead = _upsert(
                f"lead.{team_index}@example.com",
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                job_title="Team leader",
                manager=head,
                department=departments[dept_name],
                hire_date=hire_date(),
                employee_id=f"E02{team_index:02d}",
            )
        org.team_leaders.append(lead)
        for member in range(size):
            if team_index == 0 and member == 0:
                email, first, last = "learner@example.com", "Lee", "Learner"
            else:
                first, last = fake.first_name(), fake.last_name()
                email = f"learner.{learner_index}@example.com"
            person = _upsert(
                email,
                first_name=first,
                last_name=last,
                job_title=TEAM_TITLES[dept_name],
                manager=lead,
                department=departments[dept_name],
                hire_date=hire_date(),
                timezone=rng.choice(TIMEZONES),
                employee_id=f"E1{learner_index:05d}",
            )
            org.learners.append(person)
            learner_index += 1
        remaining -= size
        team_index += 1

    for email, _first, _last, _title, role in DEMO_LOGINS:
        org.logins.append((role, email))

    for app_label in ("courses", "assignments", "escalation", "reports"):
        try:
            module = importlib.import_module(f"{app_label}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{app_label}.demo":
                raise
            continue
        module.seed(org)
    return org
