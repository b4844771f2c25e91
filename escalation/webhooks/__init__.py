"""Webhooks: events told to the addresses admins registered, signed, retried, logged.

- ``addresses``: which URLs may be registered and called (HTTPS to public addresses only).
- ``signing``: the endpoint's secret (kept encrypted) and the ``X-LMS-Signature`` header.
- ``events``: the events and their payloads; queued as WebhookDelivery rows, once per endpoint
  and event (completion recorded at once, the others by the nightly run).
- ``delivery``: the sender, claim before the side effect like the email dispatcher.
- ``services``, ``forms``, ``views``: the admins' pages.
"""
