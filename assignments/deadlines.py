"""Reminder and ladder progress belongs to a deadline, not to an assignment.

The nightly reminders and overdue ladder record how far they got on the assignment
(``reminded_days``, ``ladder_days``). Whenever an assignment's due date or retake deadline changes,
by whatever path (an exemption return, a retake deadline set after failure, an admin's change in
the Django admin, a bulk update, plain SQL), the database clears both markers in the same
statement, so that the reminders and the ladder start again for the new deadline. The outbox and
case-file keys carry the deadline, so nothing is sent twice for one deadline.

A trigger rather than a service every writer must remember: a path that forgets cannot exist.
SQLite drops a table's triggers when a migration rebuilds the table, so the trigger is also
(re)created after every ``migrate`` (``AssignmentsConfig.ready``); both statements are idempotent.
"""

from __future__ import annotations

POSTGRESQL = [
    """
CREATE OR REPLACE FUNCTION assignment_deadline_moved() RETURNS trigger AS $$
BEGIN
    IF NEW.due_date IS DISTINCT FROM OLD.due_date
       OR NEW.retake_deadline IS DISTINCT FROM OLD.retake_deadline THEN
        NEW.reminded_days := NULL;
        NEW.ladder_days := NULL;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS assignment_deadline_moved ON assignments_assignment",
    """
CREATE TRIGGER assignment_deadline_moved BEFORE UPDATE OF due_date, retake_deadline ON assignments_assignment
FOR EACH ROW EXECUTE FUNCTION assignment_deadline_moved()
""",
]

SQLITE = [
    """
CREATE TRIGGER IF NOT EXISTS assignment_deadline_moved
AFTER UPDATE OF due_date, retake_deadline ON assignments_assignment
FOR EACH ROW WHEN NEW.due_date IS NOT OLD.due_date OR NEW.retake_deadline IS NOT OLD.retake_deadline
BEGIN
    UPDATE assignments_assignment SET reminded_days = NULL, ladder_days = NULL WHERE id = NEW.id;
END
""",
]

DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS assignment_deadline_moved ON assignments_assignment",
        "DROP FUNCTION IF EXISTS assignment_deadline_moved()",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS assignment_deadline_moved"],
}


def create_statements(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, [])


def ensure_deadline_trigger(connection) -> None:
    """Create the trigger if the assignments table exists and it is missing (idempotent)."""
    if "assignments_assignment" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        for statement in create_statements(connection.vendor):
            cursor.execute(statement)
