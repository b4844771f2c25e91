"""Open Badges 2.0 hosted verification: the Issuer profile, BadgeClass and Assertion as JSON-LD.

Spec: https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html. Each object's
``id`` is its own public address (from ``settings.SITE_URL``), so a verifier fetches the
assertion, follows ``badge`` to the BadgeClass and ``issuer`` to the profile, all on one origin.

- The recipient is an email identity, hashed: ``sha256$`` + hex SHA-256 of the address (trimmed,
  lower-cased) followed by the award's own salt; the address itself is never published.
- An assertion's address is its award's long random token; the BadgeClass's, the badge's
  ``public_id``. Neither is a primary key or a count.
- A revoked assertion answers 410 Gone with ``revoked: true`` (spec: "Hosted verification": a
  revoked assertion's URL answers 410 with ``revoked: true``) and a generic ``revocationReason``:
  the admin's own reason may name the person's circumstances, so it stays in the audit trail.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.urls import reverse

CONTEXT = "https://w3id.org/openbadges/v2"


def identity_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def _url(name: str, *args) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def issuer_url() -> str:
    return _url("recognition:issuer")


def badge_url(badge) -> str:
    return _url("recognition:badge_class", badge.public_id)


def badge_image_url(badge) -> str:
    return _url("recognition:badge_image", badge.public_id)


def assertion_url(award) -> str:
    return _url("recognition:assertion", award.token)


def verify_url(award) -> str:
    return _url("recognition:verify", award.token)


def issuer_json() -> dict:
    profile = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(),
        "name": settings.ORGANISATION_NAME,
        "url": f"{settings.SITE_URL}/",
    }
    email = getattr(settings, "RECOGNITION_ISSUER_EMAIL", "")
    if email:
        profile["email"] = email
    return profile


def badge_class_json(badge) -> dict:
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_url(badge),
        "name": badge.name,
        "description": badge.description,
        "image": badge_image_url(badge),
        "criteria": {"narrative": criteria_narrative(badge)},
        "issuer": issuer_url(),
    }


def criteria_narrative(badge) -> str:
    from escalation.recognition.rules import criteria_text

    return str(criteria_text(badge))


def assertion_json(award) -> dict:
    if award.revoked_at is not None:
        return {
            "@context": CONTEXT,
            "type": "Assertion",
            "id": assertion_url(award),
            "revoked": True,
            "revocationReason": "Revoked by the issuer",
        }
    return {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award),
        "recipient": {"type": "email", "hashed": True, "salt": award.salt, "identity": award.identity_hash},
        "badge": badge_url(award.badge),
        "verification": {"type": "hosted"},
        "issuedOn": award.awarded_at.isoformat(timespec="seconds"),
    }
