"""The nightly workflows, each `run_<name>(*, as_of, dry_run) -> summary dict`, run in this order
by `run_nightly`. Every one is set-based and idempotent for a given day."""
