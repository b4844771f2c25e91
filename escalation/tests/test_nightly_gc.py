"""The nightly run keeps Python's garbage collector off the objects that outlive a workflow (issue 19)."""

from __future__ import annotations

import gc

from escalation.nightly import run_workflow


def test_a_workflow_runs_with_the_long_lived_objects_frozen_and_unfreezes_them_after():
    seen = {}

    def workflow(*, as_of, dry_run):
        seen["frozen"] = gc.get_freeze_count()
        return {"workflow": "probe"}

    before = gc.get_freeze_count()
    assert run_workflow("probe", workflow, as_of=None, dry_run=True) == {"workflow": "probe"}
    assert seen["frozen"] > 1000 and gc.get_freeze_count() == before == 0


def test_a_failing_workflow_unfreezes_them_too():
    def workflow(*, as_of, dry_run):
        raise RuntimeError("boom")

    try:
        run_workflow("probe", workflow, as_of=None, dry_run=True)
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
