"""The REST API under ``/api/v1/`` (README "Pulling records into a BI tool (REST API)").

The top layer: it reads through the selectors and writes through the services of the apps below
(lms, courses, assignments, reports), so an assignment made, archived or re-assigned here meets the
same rules, audit rows and outbox as one made in the browser. Integrations authenticate with an API
token (``Authorization: Bearer lms_...``) made by an admin at ``/api/tokens/``; only a SHA-256
digest of the secret is stored, and each token carries scopes.

- ``models``: ``ApiToken``; ``services``: tokens made, revoked, authenticated;
- ``authentication``, ``permissions``, ``throttling``: the bearer token, its scopes, its rate;
- ``problems``: every error as RFC 9457 problem details;
- ``feed``: the completions' incremental pull (an opaque cursor, every completion exactly once);
- ``serializers``, ``views``, ``urls``: the endpoints; ``pages``: the admins' token pages and the
  documentation page.
"""
