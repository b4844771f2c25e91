from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from lms.models import Department, User

TEST_PASSWORD = "a-strong-test-passphrase-42"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = "Analyst"
    department = factory.SubFactory(DepartmentFactory)
    timezone = "Europe/London"
    hire_date = factory.Faker("date_between", start_date="-5y", end_date="-30d")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminFactory(UserFactory):
    is_staff = True
    job_title = "Compliance administrator"


def make_chain(depth: int, **kwargs) -> list[User]:
    """A reporting line of ``depth`` people: [top, ..., bottom], each managing the next."""
    people: list[User] = []
    for _ in range(depth):
        people.append(UserFactory(manager=people[-1] if people else None, **kwargs))
    return people
