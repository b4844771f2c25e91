"""Writes over assignments, one module per area: attempts, completions, assign, archive, rules, exemptions, imports."""
