"""Course reviews: a learner who completed a course rates it (1-5) and says what was useful and
what was unclear; admins moderate the comments and read the figures per course and version.

Not to be confused with escalation's review sessions (the catch-up sessions for people who failed).
"""
