"""Booster programmes (issue 17): short questions sent on a spacing schedule after a completion.

Models in ``models``; the nightly workflow that queues them is ``escalation.workflows.boosters``
(escalation sits above assignments and owns the outbox).
"""
