"""One module per area; import from the module, e.g. `from assignments.selectors.learner import learner_today`."""
