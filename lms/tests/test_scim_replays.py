"""Bugs other products' SCIM endpoints shipped, replayed on ours (issue 14).

Each test names the public report it replays; the request bodies are the ones the identity
providers send (``lms/tests/scim_bodies/`` and the reports' own examples)."""

from __future__ import annotations

import json

import pytest

from lms.models import User
from lms.tests.test_scim import audit_for, body, org, scim, token  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _create(scim, org) -> User:  # noqa: F811
    reply = scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk))
    assert reply.status_code == 201, reply.content
    return User.objects.get(pk=reply.json()["id"])


def test_ssoready_155_entra_replace_active_with_the_string_false_deactivates(scim, org):  # noqa: F811
    """ssoready/ssoready#155: Entra ID's PATCH ``{"op": "Replace", "path": "active", "value":
    "False"}`` left the user active. Ours reads the string boolean and runs the leaver flow."""
    person = _create(scim, org)
    reply = scim(
        "patch",
        f"Users/{person.pk}",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
            }
        ),
    )
    assert reply.status_code == 200 and reply.json()["active"] is False
    person.refresh_from_db()
    assert not person.is_active
    assert scim("get", f"Users/{person.pk}").json()["active"] is False


def test_scim_sdk_181_a_patch_without_active_leaves_the_person_active(scim, org):  # noqa: F811
    """Captain-P-Goldfish/SCIM-SDK#181: Entra ID sends ``{"op": "Add", "path": "name.formatted"}``
    with no ``active``; an implementation that defaulted ``active`` to false deactivated people on
    every attribute sync. Ours changes only what the operation names."""
    person = _create(scim, org)
    reply = scim(
        "patch",
        f"Users/{person.pk}",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Add", "path": "name.formatted", "value": "My display name"}],
            }
        ),
    )
    assert reply.status_code == 200, reply.content
    person.refresh_from_db()
    assert person.is_active and person.deactivated_at is None
    assert reply.json()["active"] is True


def test_sentry_16258_the_periodic_active_true_patch_is_answered_not_refused(scim, org):  # noqa: F811
    """getsentry/sentry-docs#16258: Entra ID's periodic ``active: true`` PATCH on an active user got
    "Invalid Patch Operation". Ours answers 200 and changes nothing (no audit row, no returner flow)."""
    person = _create(scim, org)
    before = len(audit_for(person))
    reply = scim("patch", f"Users/{person.pk}", body("entra_enable_user"))
    assert reply.status_code == 200 and reply.json()["active"] is True
    person.refresh_from_db()
    assert person.is_active
    assert len(audit_for(person)) == before
