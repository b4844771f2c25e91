"""CPD events, for the notification outbox in the escalation app above this one (it subscribes in
``escalation.cpd_notices``; this app never imports upwards).

Sent INSIDE the transaction of the change, so the outbox rows are written, or rolled back, with it.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: entry (ExternalLearning) -- submitted for the first time or resubmitted after a return
external_learning_submitted = Signal()
# kwargs: entry (ExternalLearning) -- approved or returned (entry.status says which)
external_learning_decided = Signal()
