"""Domain events raised by the attempt and completion services, in one place, so that the
escalation engine subscribes without touching views.

They are sent with ``transaction.on_commit`` from the services, i.e. only once the write that
caused them has committed; listeners that write should open their own transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: attempt (Attempt), assignment (Assignment)
attempt_failed = Signal()
# kwargs: assignment (Assignment), attempt (Attempt) -- the last allowed attempt failed
attempts_exhausted = Signal()
# kwargs: completion (Completion), assignment (Assignment | None)
course_completed = Signal()
# kwargs: assignments (list[Assignment]) -- one signal per batch, after commit
assignment_created = Signal()
# kwargs: assignment_ids (list[int]), reason (str), actor (User | None) -- one signal per batch, after commit
assignment_archived = Signal()

# Sent INSIDE the transaction of the write (not on commit), so that a listener's rows (the case
# file) are written or rolled back with it.
# kwargs: exemption (Exemption), assignment_ids (list[int]) -- the active assignments it covers
exemption_granted = Signal()
