"""SCIM 2.0 provisioning (RFC 7643 and 7644) at ``/scim/v2/``, so that an HR system or identity
provider (Microsoft Entra ID, Okta, Workday through either) creates, changes, deactivates and
re-activates people.

A small implementation of the endpoints those clients use, rather than a library: the User
resource maps onto ``lms.User`` (no separate SCIM table), and every write goes through
``lms.services`` exactly as the browser's does, so reporting-loop checks, assignment rules, the
leaver and returner flows, the welcome email and the audit trail behave the same. Audit rows name
the token in their reason (``lms.audit.audit_via``); their actor is empty, as for a system job.

- ``tokens``: bearer tokens, stored as SHA-256 digests, made with ``manage.py create_scim_token``.
- ``resources``: the User resource, the discovery documents and errors.
- ``users``: reading a SCIM body or PATCH operations into one change of a person.
- ``views``: the endpoints.
"""
