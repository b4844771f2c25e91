# English (US): Dec 9, 2026; Dec 9, 2026, 2:05 PM EST (no "Dec." abbreviation dots).
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, g:i A T"
TIME_FORMAT = "g:i A"
# "79.59%": the sign straight after the number (lms.scores.percent_text).
PERCENT_FORMAT = "{number}%"
